"""sessions: per-directory session lifetimes, token families

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 10:00:00.000000

Each directory gets its own session lifetimes (12 hours overall and 60 minutes idle, the
defaults). Every grant of tokens gets a family row that says when it started (for the
refresh token's absolute lifetime), which browser session and code it came from, and
whether it was revoked; existing tokens get one per family they already name, started
at the grant's authentication time.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_hours', sa.Integer(), nullable=False,
                                      server_default='12'))
        batch_op.add_column(sa.Column('session_idle_minutes', sa.Integer(), nullable=False,
                                      server_default='60'))

    op.create_table('token_family',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('directory_id', sa.Integer(), nullable=False),
    sa.Column('client_pk', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.Double(), nullable=False),
    sa.Column('revoked_at', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['client_pk'], ['client.id'], name=op.f('fk_token_family_client_pk_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['code_id'], ['authorization_code.id'], name=op.f('fk_token_family_code_id_authorization_code'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['directory_id'], ['directory.id'], name=op.f('fk_token_family_directory_id_directory'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['browser_session.id'], name=op.f('fk_token_family_session_id_browser_session'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_token_family_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_token_family'))
    )
    with op.batch_alter_table('token_family', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_token_family_code_id'), ['code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_token_family_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_token_family_user_id'), ['user_id'], unique=False)

    # One family row per family the tokens already name; its first token tells the rest.
    op.execute(sa.text(
        "INSERT INTO token_family (id, directory_id, client_pk, user_id, session_id, code_id, "
        "started_at, revoked_at) "
        "SELECT t.family, t.directory_id, t.client_pk, t.user_id, t.session_id, t.code_id, "
        "t.auth_time, NULL FROM token t WHERE t.id = "
        "(SELECT MIN(f.id) FROM token f WHERE f.family = t.family)"))

    with op.batch_alter_table('token', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_token_family_token_family'), 'token_family',
                                    ['family'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('token', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_token_family_token_family'), type_='foreignkey')

    with op.batch_alter_table('token_family', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_token_family_user_id'))
        batch_op.drop_index(batch_op.f('ix_token_family_session_id'))
        batch_op.drop_index(batch_op.f('ix_token_family_code_id'))

    op.drop_table('token_family')
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.drop_column('session_idle_minutes')
        batch_op.drop_column('session_hours')
