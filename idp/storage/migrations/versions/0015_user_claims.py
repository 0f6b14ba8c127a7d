"""standard claims: a user's claims, a longer locale, the claims a directory asks for

Revision ID: 0015_user_claims
Revises: 0014_directory_brand
Create Date: 2026-12-03 01:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0015_user_claims'
down_revision = '0014_directory_brand'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asked_claims', sa.JSON(), nullable=True))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claims', sa.JSON(), nullable=True))
        batch_op.alter_column('locale', existing_type=sa.String(length=8),
                              type_=sa.String(length=35), existing_nullable=True)
    # Apps registered with the old default scopes may ask for the address scope too.
    op.execute("UPDATE client SET scope = 'openid profile email address phone' "
               "WHERE scope = 'openid profile email phone'")


def downgrade() -> None:
    op.execute("UPDATE client SET scope = 'openid profile email phone' "
               "WHERE scope = 'openid profile email address phone'")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('locale', existing_type=sa.String(length=35),
                              type_=sa.String(length=8), existing_nullable=True)
        batch_op.drop_column('claims')
    with op.batch_alter_table('directory', schema=None) as batch_op:
        batch_op.drop_column('asked_claims')
