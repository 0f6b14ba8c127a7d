"""service accounts: the client_credentials grant's clients, scopes and tokens

Revision ID: 0017_service_accounts
Revises: 0016_directory_policies
Create Date: 2026-12-03 01:15:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0017_service_accounts'
down_revision = '0016_directory_policies'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_account', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('service_scopes', sa.String(length=200), nullable=False,
                                      server_default=''))
    op.create_table(
        'service_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('directory_id', sa.Integer(), nullable=False),
        sa.Column('client_pk', sa.Integer(), nullable=False),
        sa.Column('access_token_hash', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.Text(), nullable=False),
        sa.Column('issued_at', sa.Double(), nullable=False),
        sa.Column('expires_at', sa.Double(), nullable=False),
        sa.Column('revoked_at', sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(['client_pk'], ['client.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['directory_id'], ['directory.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('access_token_hash'),
    )
    with op.batch_alter_table('service_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_token_client_pk'), ['client_pk'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_token_client_pk'))
    op.drop_table('service_token')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('service_scopes')
        batch_op.drop_column('service_account')
