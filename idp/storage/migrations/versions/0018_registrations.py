"""registrations: codes that prove an email address for a self-registered account

Revision ID: 0018_registrations
Revises: 0017_service_accounts
Create Date: 2026-12-03 02:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0018_registrations'
down_revision = '0017_service_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'registration',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('directory_id', sa.Integer(), nullable=False),
        sa.Column('interaction_id', sa.String(length=64), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('email_key', sa.String(length=254), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=True),
        sa.Column('ip', sa.String(length=64), nullable=True),
        sa.Column('sent_at', sa.Double(), nullable=False),
        sa.Column('expires_at', sa.Double(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('used_at', sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(['directory_id'], ['directory.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index('ix_registration_email_sent', ['email_key', 'sent_at'],
                              unique=False)
        batch_op.create_index('ix_registration_ip_sent', ['ip', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_interaction_id'), ['interaction_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_interaction_id'))
        batch_op.drop_index('ix_registration_ip_sent')
        batch_op.drop_index('ix_registration_email_sent')
    op.drop_table('registration')
