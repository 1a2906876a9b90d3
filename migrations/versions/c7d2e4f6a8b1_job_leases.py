"""Job leases: a running queue job's claim, so that a job whose worker died runs again

Revision ID: c7d2e4f6a8b1
Revises: c7d2e4f1a8b6
Create Date: 2026-12-03 08:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c7d2e4f6a8b1'
down_revision = 'c7d2e4f1a8b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_leases',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('task', sa.String(length=100), nullable=False),
    sa.Column('args', sa.Text(), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revivals', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_job_leases'))
    )
    with op.batch_alter_table('job_leases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_leases_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('job_leases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_leases_expires_at'))
    op.drop_table('job_leases')
