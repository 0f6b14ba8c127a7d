"""secrets: clients that may introspect every app's tokens

Revision ID: 0006_secrets
Revises: 0005
Create Date: 2026-12-02 16:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0006_secrets'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('introspect_all', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('introspect_all')
