"""The page of a scan an import run is reading, for its progress

Revision ID: d4a8c1e9b2f7
Revises: 2aac5cc6d5df
Create Date: 2026-12-04 02:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd4a8c1e9b2f7'
down_revision = '2aac5cc6d5df'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))


def downgrade():
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_column('step')
