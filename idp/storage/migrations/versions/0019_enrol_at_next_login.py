"""enrol at next login: the admin's one-time, expiring allowance to set up a new method

Revision ID: 0019_enrol_at_next_login
Revises: 0018_registrations
Create Date: 2026-12-03 04:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0019_enrol_at_next_login'
down_revision = '0018_registrations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrol_allowed_until', sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('enrol_allowed_until')
