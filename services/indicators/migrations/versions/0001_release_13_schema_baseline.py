"""release 13 schema (baseline)

Revision ID: 0001
Revises: 
Created: 2026-11-29 15:04:34.887200
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
    op.create_table('activity_revisions',
    sa.Column('activity_id', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('activity_id')
    )
    op.create_table('contributions',
    sa.Column('activity_id', sa.String(length=32), nullable=False),
    sa.Column('indicator', sa.String(length=128), nullable=False),
    sa.Column('window', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('activity_id', 'indicator', 'window', 'scope')
    )
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.create_index('ix_contributions_window', ['indicator', 'window', 'scope'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_sent_at'), ['sent_at'], unique=False)

    op.create_table('processed_events',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_table('rebuild_activity_revisions',
    sa.Column('activity_id', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('activity_id')
    )
    op.create_table('rebuild_contributions',
    sa.Column('activity_id', sa.String(length=32), nullable=False),
    sa.Column('indicator', sa.String(length=128), nullable=False),
    sa.Column('window', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('activity_id', 'indicator', 'window', 'scope')
    )
    op.create_table('rebuild_processed_events',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_table('rebuild_runs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=True),
    sa.Column('status_changes', sa.Integer(), nullable=True),
    sa.Column('started_at', libs.common.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('serial_locks',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('window_states',
    sa.Column('indicator', sa.String(length=128), nullable=False),
    sa.Column('window', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('actual', sa.Float(), nullable=False),
    sa.Column('expected', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('indicator', 'window', 'scope')
    )


def downgrade() -> None:
    op.drop_table('window_states')
    op.drop_table('serial_locks')
    op.drop_table('rebuild_runs')
    op.drop_table('rebuild_processed_events')
    op.drop_table('rebuild_contributions')
    op.drop_table('rebuild_activity_revisions')
    op.drop_table('processed_events')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.drop_index('ix_contributions_window')

    op.drop_table('contributions')
    op.drop_table('activity_revisions')
