"""secrets: argon2id recovery codes, and clients that may introspect every app's tokens

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 16:30:00.000000

Recovery codes stored before this revision (SHA-256 in ``credential.lookup``, no
``secret_hash``) keep working: they are wrapped in argon2id when next used or shown, and
by ``idp purge`` (``idp.methods.recovery``), which needs the secret key, not a migration.
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_hash', sa.String(length=255), nullable=True))

    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('introspect_all', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('introspect_all')

    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.drop_column('secret_hash')
