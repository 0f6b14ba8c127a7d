"""SMS destination policy per directory; enrolment pages that store nothing when shown

- ``directory.destination_policy``: where codes may be sent (empty: the safe default).
- ``app_activation.code_sealed``: an activation code is made by a POST and shown again,
  sealed, by the page's GET until it is used or expires.
- ``spent_seal`` replaces ``webauthn_challenge``: challenges (and a new authenticator
  app's key) are carried sealed in the page and recorded here once used.
- Pending (unconfirmed) authenticator-app credentials were made by showing the set-up
  page; the key now lives in the page until its first code, so they are deleted (a set-up
  that was under way shows a new QR code).

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('destination_policy', sa.JSON(), nullable=True))

    with op.batch_alter_table('app_activation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_sealed', sa.LargeBinary(), nullable=True))

    op.create_table('spent_seal',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_spent_seal'))
    )
    with op.batch_alter_table('spent_seal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spent_seal_expires_at'), ['expires_at'],
                              unique=False)

    with op.batch_alter_table('webauthn_challenge', schema=None) as batch_op:
        batch_op.drop_index('ix_webauthn_challenge_session_purpose')
    op.drop_table('webauthn_challenge')

    op.execute("DELETE FROM credential WHERE method = 'totp' AND confirmed_at IS NULL")


def downgrade() -> None:
    op.create_table('webauthn_challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('challenge', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('expires_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['browser_session.id'], name=op.f('fk_webauthn_challenge_session_id_browser_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_webauthn_challenge_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webauthn_challenge'))
    )
    with op.batch_alter_table('webauthn_challenge', schema=None) as batch_op:
        batch_op.create_index('ix_webauthn_challenge_session_purpose', ['session_id', 'purpose'], unique=False)

    with op.batch_alter_table('spent_seal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spent_seal_expires_at'))
    op.drop_table('spent_seal')

    with op.batch_alter_table('app_activation', schema=None) as batch_op:
        batch_op.drop_column('code_sealed')

    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.drop_column('destination_policy')
