"""Imported files keep the evidence of every value read, for the person who checks them

Revision ID: c7d2e4f1a8b6
Revises: 9f6a5879291e
Create Date: 2026-12-03 08:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c7d2e4f1a8b6'
down_revision = '9f6a5879291e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('imported_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fields', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('imported_files', schema=None) as batch_op:
        batch_op.drop_column('fields')
