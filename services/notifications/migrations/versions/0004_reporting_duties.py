"""alerts about reporting duties beside indicator windows: topic, due day, working days left, the
organisation's name

Revision ID: 0004
Revises: 0003
Created: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=16), nullable=False, server_default='indicator'))
        batch_op.add_column(sa.Column('due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('days_left', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scope_name', sa.String(length=200), nullable=False, server_default=''))


def downgrade() -> None:
    op.execute("delete from alert_receipts where alert_id in (select id from alerts where topic <> 'indicator')")
    op.execute("delete from alerts where topic <> 'indicator'")
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('scope_name')
        batch_op.drop_column('days_left')
        batch_op.drop_column('due')
        batch_op.drop_column('topic')
