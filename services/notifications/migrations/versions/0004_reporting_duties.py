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


COLUMNS = (
    sa.Column('topic', sa.String(length=16), nullable=False, server_default='indicator'),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('days_left', sa.Integer(), nullable=True),
    sa.Column('scope_name', sa.String(length=200), nullable=False, server_default=''),
)


def upgrade() -> None:
    existing = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('alerts')}
    missing = [column for column in COLUMNS if column.name not in existing]  # made with the models: none
    if not missing:
        return
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        for column in missing:
            batch_op.add_column(column)


def downgrade() -> None:
    op.execute("delete from alert_receipts where alert_id in (select id from alerts where topic <> 'indicator')")
    op.execute("delete from alerts where topic <> 'indicator'")
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('scope_name')
        batch_op.drop_column('days_left')
        batch_op.drop_column('due')
        batch_op.drop_column('topic')
