"""release 13 schema (baseline)

Revision ID: 0001
Revises: 
Created: 2026-11-29 15:04:34.816579
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
    op.create_table('orgs',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('parent', sa.String(length=64), nullable=True),
    sa.Column('from_plan', sa.Boolean(), nullable=False),
    sa.Column('is_example', sa.Boolean(), nullable=False),
    sa.Column('created_at', libs.common.db.UtcDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['parent'], ['orgs.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
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

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('org', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('expires_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', libs.common.db.UtcDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('revoked_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org'], ['orgs.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('channels',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_at', libs.common.db.UtcDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('removed_at', libs.common.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org'], ['orgs.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_org'), ['org'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_org'))

    op.drop_table('channels')
    op.drop_table('api_tokens')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    op.drop_table('orgs')
