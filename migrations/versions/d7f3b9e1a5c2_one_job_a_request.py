"""The request that asked for a batch of bundles, a service report or an import, so that a
double tap or a resent post follows the job it queued rather than queueing (and filing) a
second one

Revision ID: d7f3b9e1a5c2
Revises: c8e2f4a6b1d3
Create Date: 2026-12-05 17:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd7f3b9e1a5c2'
down_revision = 'c8e2f4a6b1d3'
branch_labels = None
depends_on = None

TABLES = ('bundle_requests', 'service_reports', 'import_runs')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('request_key', sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_request_key'),
                                              ['request_key'])


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_request_key'), type_='unique')
            batch_op.drop_column('request_key')
