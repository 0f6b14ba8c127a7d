"""voice: the number each person's voice-call codes are read out to

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 20:00:00.000000

The table belongs to the voice-call method (``idp.methods.voice.storage``): a landline
may differ from the mobile number in ``user_account.phone``.
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'voice_number',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('directory_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('verified_at', sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(['directory_id'], ['directory.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )
    with op.batch_alter_table('voice_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_number_directory_id'), ['directory_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('voice_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_number_directory_id'))
    op.drop_table('voice_number')
