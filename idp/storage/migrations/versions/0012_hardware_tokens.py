"""hardware OATH tokens: the inventory of the ``token`` sign-in method

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 19:45:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'hardware_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('directory_id', sa.Integer(), nullable=False),
        sa.Column('serial', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('digits', sa.Integer(), nullable=False),
        sa.Column('period', sa.Integer(), nullable=False),
        sa.Column('algorithm', sa.String(length=10), nullable=False),
        sa.Column('seed_sealed', sa.LargeBinary(), nullable=False),
        sa.Column('counter', sa.BigInteger(), nullable=False),
        sa.Column('last_step', sa.BigInteger(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.Double(), nullable=False),
        sa.Column('assigned_at', sa.Double(), nullable=True),
        sa.Column('last_used_at', sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(['directory_id'], ['directory.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('directory_id', 'serial', name='uq_hardware_token_directory_serial'),
    )
    with op.batch_alter_table('hardware_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hardware_token_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hardware_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hardware_token_user_id'))
    op.drop_table('hardware_token')
