"""counts for: how long each sign-in method counts towards a session's level

Revision ID: 0025_counts_for
Revises: 0024_jwt_access_tokens
Create Date: 2026-12-03 15:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0025_counts_for'
down_revision = '0024_jwt_access_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counts_for', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.drop_column('counts_for')
