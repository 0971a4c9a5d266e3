"""release 13 schema (baseline)

Revision ID: 0001
Revises: 
Created: 2026-11-29 15:04:34.941920
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('indicator', sa.String(length=128), nullable=False),
    sa.Column('indicator_name', sa.String(length=300), nullable=False),
    sa.Column('window', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('actual', sa.Float(), nullable=False),
    sa.Column('expected', sa.Float(), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('historical', sa.Boolean(), nullable=False),
    sa.Column('summarised_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('opened_at', libs.common.db.UtcDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('changed_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('times_opened', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('indicator', 'window', 'scope', name='uq_alert_key')
    )
    op.create_table('channels',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('org', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.Column('changed_at', libs.common.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_org'), ['org'], unique=False)

    op.create_table('digest_groups',
    sa.Column('org', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('pending_since', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_sent_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('org', 'kind')
    )
    op.create_table('digests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('created_at', libs.common.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org', 'kind', 'number', name='uq_digest_number')
    )
    with op.batch_alter_table('digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digests_org'), ['org'], unique=False)

    op.create_table('monitoring',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('processed_events',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_table('serial_locks',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('silences',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('indicator', sa.String(length=128), nullable=True),
    sa.Column('org', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('starts_at', libs.common.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', libs.common.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('window_sequences',
    sa.Column('indicator', sa.String(length=128), nullable=False),
    sa.Column('window', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('indicator', 'window', 'scope')
    )
    op.create_table('alert_receipts',
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('org', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ),
    sa.PrimaryKeyConstraint('alert_id', 'org')
    )
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.Column('org', sa.String(length=64), nullable=False),
    sa.Column('channel_key', sa.String(length=32), nullable=False),
    sa.Column('channel_kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', libs.common.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', libs.common.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('digest_id', 'channel_key', name='uq_delivery')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_digest_id'), ['digest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_status'), ['status'], unique=False)

    op.create_table('delivery_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('started_at', libs.common.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_attempts_delivery_id'), ['delivery_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_attempts_delivery_id'))

    op.drop_table('delivery_attempts')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_status'))
        batch_op.drop_index(batch_op.f('ix_deliveries_digest_id'))

    op.drop_table('deliveries')
    op.drop_table('alert_receipts')
    op.drop_table('window_sequences')
    op.drop_table('silences')
    op.drop_table('serial_locks')
    op.drop_table('processed_events')
    op.drop_table('monitoring')
    with op.batch_alter_table('digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digests_org'))

    op.drop_table('digests')
    op.drop_table('digest_groups')
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_org'))

    op.drop_table('channels')
    op.drop_table('alerts')
