"""password resets: the directory's reset level, and the admin's single-use reset links

Revision ID: 0021_password_resets
Revises: 0020_method_use_times
Create Date: 2026-12-03 04:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0021_password_resets'
down_revision = '0020_method_use_times'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reset_level', sa.Integer(), nullable=True))
    op.create_table(
        'password_reset',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('directory_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.Double(), nullable=False),
        sa.Column('expires_at', sa.Double(), nullable=False),
        sa.Column('used_at', sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(['directory_id'], ['directory.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_user_id'), ['user_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_user_id'))
    op.drop_table('password_reset')
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.drop_column('reset_level')
