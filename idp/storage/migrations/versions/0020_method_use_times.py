"""method use times: when the password, text message and email codes were added and last used

Revision ID: 0020_method_use_times
Revises: 0019_enrol_at_next_login
Create Date: 2026-12-03 04:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0020_method_use_times'
down_revision = '0019_enrol_at_next_login'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'method_use',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.Column('added_at', sa.Double(), nullable=True),
        sa.Column('last_used_at', sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'method'),
    )


def downgrade() -> None:
    op.drop_table('method_use')
