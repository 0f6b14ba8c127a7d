"""device authorization: TVs and command-line tools sign people in with a code (RFC 8628)

Revision ID: 0028_device_authorization
Revises: 0027_client_keys
Create Date: 2026-12-04 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0028_device_authorization'
down_revision = '0027_client_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_grant', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        'device_authorization',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('directory_id', sa.Integer(), nullable=False),
        sa.Column('client_pk', sa.Integer(), nullable=False),
        sa.Column('device_code_hash', sa.String(length=64), nullable=False),
        sa.Column('user_code_hash', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.Text(), nullable=False),
        sa.Column('acr_values', sa.Text(), nullable=True),
        sa.Column('created_at', sa.Double(), nullable=False),
        sa.Column('expires_at', sa.Double(), nullable=False),
        sa.Column('poll_interval', sa.Integer(), nullable=False),
        sa.Column('last_polled_at', sa.Double(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('acr', sa.String(length=10), nullable=True),
        sa.Column('amr', sa.JSON(), nullable=True),
        sa.Column('auth_time', sa.BigInteger(), nullable=True),
        sa.Column('decided_at', sa.Double(), nullable=True),
        sa.Column('used_at', sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(['client_pk'], ['client.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['directory_id'], ['directory.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['session_id'], ['browser_session.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('device_code_hash'),
        sa.UniqueConstraint('user_code_hash'))
    with op.batch_alter_table('device_authorization', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_authorization_client_pk'), ['client_pk'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_device_authorization_expires_at'), ['expires_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_device_authorization_user_id'), ['user_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('device_authorization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_authorization_user_id'))
        batch_op.drop_index(batch_op.f('ix_device_authorization_expires_at'))
        batch_op.drop_index(batch_op.f('ix_device_authorization_client_pk'))
    op.drop_table('device_authorization')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('device_grant')
