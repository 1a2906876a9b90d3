"""The page of a scan an import run is reading, for its progress; the case a run was brought
in for from that case's page

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
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_import_runs_case_id'), ['case_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_import_runs_case_id_cases'), 'cases',
                                    ['case_id'], ['id'])


def downgrade():
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_import_runs_case_id_cases'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_import_runs_case_id'))
        batch_op.drop_column('case_id')
        batch_op.drop_column('step')
