"""failure budgets of accounts per source

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 16:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attempt_budget',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('directory_id', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.Double(), nullable=True),
    sa.Column('locked_until', sa.Double(), nullable=True),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('notified_at', sa.Double(), nullable=True),
    sa.Column('updated_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['directory_id'], ['directory.id'], name=op.f('fk_attempt_budget_directory_id_directory'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_attempt_budget'))
    )
    with op.batch_alter_table('attempt_budget', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_budget_directory_id'), ['directory_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_budget_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attempt_budget', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_budget_updated_at'))
        batch_op.drop_index(batch_op.f('ix_attempt_budget_directory_id'))
    op.drop_table('attempt_budget')
