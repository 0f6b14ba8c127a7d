"""client keys and pushed requests: private_key_jwt, request objects and PAR

Revision ID: 0027_client_keys
Revises: 0026_pairwise_subject
Create Date: 2026-12-03 17:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0027_client_keys'
down_revision = '0026_pairwise_subject'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_key_jwt', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('jwks', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('jwks_uri', sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column('require_par', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        'pushed_request',
        sa.Column('uri_hash', sa.String(length=64), nullable=False),
        sa.Column('directory_id', sa.Integer(), nullable=False),
        sa.Column('client_pk', sa.Integer(), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('expires_at', sa.Double(), nullable=False),
        sa.Column('used_at', sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(['client_pk'], ['client.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['directory_id'], ['directory.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('uri_hash'))
    with op.batch_alter_table('pushed_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pushed_request_expires_at'), ['expires_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pushed_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pushed_request_expires_at'))
    op.drop_table('pushed_request')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('require_par')
        batch_op.drop_column('jwks_uri')
        batch_op.drop_column('jwks')
        batch_op.drop_column('private_key_jwt')
