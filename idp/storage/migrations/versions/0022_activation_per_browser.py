"""an app's activation code belongs to the browser session that asked for it

Revision ID: 0022_activation_per_browser
Revises: 0021_password_resets
Create Date: 2026-12-03 04:10:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0022_activation_per_browser'
down_revision = '0021_password_resets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Codes made before belong to no session: no page shows them again (each still works
    # in the app until it expires, within minutes).
    with op.batch_alter_table('app_activation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_app_activation_session_id'), ['session_id'],
                              unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_app_activation_session_id_browser_session'), 'browser_session',
            ['session_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('app_activation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_app_activation_session_id_browser_session'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_app_activation_session_id'))
        batch_op.drop_column('session_id')
