"""reporting duties: the last state published of each duty, since when duties are judged, and the
lock replicas judge them in turn with

Revision ID: 0005
Revises: 0004
Created: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from libs.common.db import UtcDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reporting_duties',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('org', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=16), nullable=False),
        sa.Column('campaign', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('days_left', sa.Integer(), nullable=True),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('changed_at', UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('org', 'period', 'campaign', name='uq_reporting_duty'),
    )
    op.create_table(
        'duty_monitoring',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('since', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'serial_locks',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('taken', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('serial_locks')
    op.drop_table('duty_monitoring')
    op.drop_table('reporting_duties')
