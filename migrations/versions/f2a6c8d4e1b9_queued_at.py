"""When a bundle request and an import run were last queued, so that a lost message is found

Revision ID: f2a6c8d4e1b9
Revises: d4a8c1e9b2f7
Create Date: 2026-12-04 18:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f2a6c8d4e1b9'
down_revision = 'd4a8c1e9b2f7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bundle_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queued_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queued_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_column('queued_at')
    with op.batch_alter_table('bundle_requests', schema=None) as batch_op:
        batch_op.drop_column('queued_at')
