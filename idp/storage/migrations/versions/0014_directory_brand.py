"""brand: a directory's accent colour, sender name, support contact and logo

Revision ID: 0014_directory_brand
Revises: 0013_directory_lifecycle
Create Date: 2026-12-03 01:10:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0014_directory_brand'
down_revision = '0013_directory_lifecycle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accent', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('sender_name', sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column('support_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('support_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('support_phone', sa.String(length=20), nullable=True))
    op.create_table(
        'directory_logo',
        sa.Column('directory_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('media_type', sa.String(length=20), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(['directory_id'], ['directory.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('directory_id'),
    )


def downgrade() -> None:
    op.drop_table('directory_logo')
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.drop_column('support_phone')
        batch_op.drop_column('support_url')
        batch_op.drop_column('support_email')
        batch_op.drop_column('sender_name')
        batch_op.drop_column('accent')
