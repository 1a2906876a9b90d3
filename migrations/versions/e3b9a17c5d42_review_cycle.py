"""The review cycle: version tags on forms, who last edited a draft, comments on single cells,
and the key of the request that made a review step

Revision ID: e3b9a17c5d42
Revises: e3f9a1c2b7d4
Create Date: 2026-12-03 08:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e3b9a17c5d42'
down_revision = 'e3f9a1c2b7d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('form_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('field_comments', sa.JSON(), server_default=sa.text("'{}'"),
                                      nullable=False))
        batch_op.add_column(sa.Column('edited_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lock_version', sa.Integer(), server_default='1',
                                      nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_form_records_edited_by_id_users'), 'users',
                                    ['edited_by_id'], ['id'])
    with op.batch_alter_table('review_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('field_comments', sa.JSON(), server_default=sa.text("'{}'"),
                                      nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_review_steps_request_key'),
                                          ['request_key'])


def downgrade():
    with op.batch_alter_table('review_steps', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_review_steps_request_key'), type_='unique')
        batch_op.drop_column('field_comments')
        batch_op.drop_column('request_key')
    with op.batch_alter_table('form_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_form_records_edited_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('lock_version')
        batch_op.drop_column('edited_by_id')
        batch_op.drop_column('field_comments')
