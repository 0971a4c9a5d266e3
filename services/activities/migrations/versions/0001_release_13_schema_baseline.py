"""release 13 schema (baseline)

Revision ID: 0001
Revises: 
Created: 2026-11-29 15:04:34.848574
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
    op.create_table('activities',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('org', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('retracted', sa.Boolean(), nullable=False),
    sa.Column('retract_reason', sa.String(length=500), nullable=True),
    sa.Column('activity_type', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('town', sa.String(length=64), nullable=True),
    sa.Column('target_group', sa.String(length=32), nullable=True),
    sa.Column('co_organisers', sa.JSON(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('quantities', sa.JSON(), nullable=False),
    sa.Column('created_at', libs.common.db.UtcDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org', 'external_id', name='uq_activity_org_external_id')
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activities_activity_type'), ['activity_type'], unique=False)
        batch_op.create_index('ix_activities_listing', ['org', 'start_date', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_org'), ['org'], unique=False)

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

    op.create_table('activity_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('activity_id', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('by_org', sa.String(length=64), nullable=False),
    sa.Column('by_role', sa.String(length=16), nullable=True),
    sa.Column('by_token_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('at', libs.common.db.UtcDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('activity_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_audit_activity_id'), ['activity_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('activity_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_audit_activity_id'))

    op.drop_table('activity_audit')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activities_org'))
        batch_op.drop_index('ix_activities_listing')
        batch_op.drop_index(batch_op.f('ix_activities_activity_type'))

    op.drop_table('activities')
