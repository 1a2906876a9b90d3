"""Which page's save wrote a form's draft, so that a save whose answer the page never got is
known as its own, not as someone else's change

Revision ID: b5d1e7a3c9f2
Revises: f2a6c8d4e1b9
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b5d1e7a3c9f2'
down_revision = 'f2a6c8d4e1b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('form_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft_attempt', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('form_records', schema=None) as batch_op:
        batch_op.drop_column('draft_attempt')
