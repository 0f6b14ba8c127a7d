"""signing keys start signing at a stored time (published before they sign)

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signs_from', sa.Double(), nullable=True))
    # Keys stored before this revision signed from the moment they were created.
    op.execute("UPDATE signing_key SET signs_from = created_at")
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.alter_column('signs_from', existing_type=sa.Double(), nullable=False)
        batch_op.create_index('ix_signing_key_directory_alg_signs_from',
                              ['directory_id', 'alg', 'signs_from'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.drop_index('ix_signing_key_directory_alg_signs_from')
        batch_op.drop_column('signs_from')
