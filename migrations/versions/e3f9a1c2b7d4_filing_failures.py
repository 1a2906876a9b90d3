"""Failed filings into the archive, kept until a retry files them

Revision ID: e3f9a1c2b7d4
Revises: 4fc3854c0a4e
Create Date: 2026-12-03 08:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e3f9a1c2b7d4'
down_revision = '4fc3854c0a4e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('filing_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('failed_at', sa.DateTime(), nullable=False),
    sa.Column('tried_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_filing_failures_case_id_cases')),
    sa.ForeignKeyConstraint(['version_id'], ['form_versions.id'], name=op.f('fk_filing_failures_version_id_form_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filing_failures'))
    )
    with op.batch_alter_table('filing_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_filing_failures_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_filing_failures_resolved_at'), ['resolved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_filing_failures_version_id'), ['version_id'], unique=False)


def downgrade():
    with op.batch_alter_table('filing_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_filing_failures_version_id'))
        batch_op.drop_index(batch_op.f('ix_filing_failures_resolved_at'))
        batch_op.drop_index(batch_op.f('ix_filing_failures_case_id'))
    op.drop_table('filing_failures')
