"""DPoP: access tokens bound to an app's key, and apps that must bind them

Revision ID: 0030_dpop
Revises: 0029_backchannel_logout
Create Date: 2026-12-03 17:50:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0030_dpop'
down_revision = '0029_backchannel_logout'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('require_dpop', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dpop_jkt', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('token', schema=None) as batch_op:
        batch_op.drop_column('dpop_jkt')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('require_dpop')
