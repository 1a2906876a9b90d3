"""The request that made a case, a form, a satisfaction survey, a risk flag, a report made
outside the service or a handover, so that a double tap or a retry finds it rather than making
a second one

Revision ID: c8e2f4a6b1d3
Revises: b5d1e7a3c9f2
Create Date: 2026-12-05 13:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c8e2f4a6b1d3'
down_revision = 'b5d1e7a3c9f2'
branch_labels = None
depends_on = None

TABLES = ('cases', 'form_records', 'satisfaction_surveys', 'risk_flags', 'outside_reports',
          'handovers')


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
