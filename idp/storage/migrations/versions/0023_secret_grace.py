"""secret grace: a client's previous secret, accepted for a while after a new one is made

Revision ID: 0023_secret_grace
Revises: 0022_activation_per_browser
Create Date: 2026-12-03 04:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0023_secret_grace'
down_revision = '0022_activation_per_browser'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_secret_hash', sa.String(length=128),
                                      nullable=True))
        batch_op.add_column(sa.Column('previous_secret_until', sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('previous_secret_until')
        batch_op.drop_column('previous_secret_hash')
