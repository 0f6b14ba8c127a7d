"""a directory's policies: the values its admin chose (password, attempts, tokens, devices)

Revision ID: 0016_directory_policies
Revises: 0015_user_claims
Create Date: 2026-12-03 01:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0016_directory_policies'
down_revision = '0015_user_claims'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policies', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.drop_column('policies')
