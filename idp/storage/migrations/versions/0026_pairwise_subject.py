"""pairwise subject: an app may see each person under a subject identifier of its own

Revision ID: 0026_pairwise_subject
Revises: 0025_counts_for
Create Date: 2026-12-03 15:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0026_pairwise_subject'
down_revision = '0025_counts_for'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pairwise_subject', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('pairwise_subject')
