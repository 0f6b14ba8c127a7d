"""jwt access tokens: an app may get its access tokens as signed JWTs (RFC 9068)

Revision ID: 0024_jwt_access_tokens
Revises: 0023_secret_grace
Create Date: 2026-12-03 14:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0024_jwt_access_tokens'
down_revision = '0023_secret_grace'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('jwt_access_tokens', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('jwt_access_tokens')
