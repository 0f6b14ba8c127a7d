"""back-channel logout: an app may be told when a session it got tokens in ends

Revision ID: 0029_backchannel_logout
Revises: 0028_device_authorization
Create Date: 2026-12-03 17:40:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0029_backchannel_logout'
down_revision = '0028_device_authorization'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backchannel_logout_uri', sa.String(length=2000),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('backchannel_logout_uri')
