"""directories: when an operator disabled one

Revision ID: 0013_directory_lifecycle
Revises: 0012
Create Date: 2026-12-03 01:10:00.000000

A disabled directory answers every request under /d/<slug>/ with an error until it is
enabled again; ``disabled_at`` is empty while it runs.
"""

from alembic import op
import sqlalchemy as sa


revision = '0013_directory_lifecycle'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
