"""reporting periods: an organisation's submission of a period (or a nil report) and its approval

Revision ID: 0004
Revises: 0003
Created: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from libs.common.db import UtcDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'period_reports',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('org', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=16), nullable=False),
        sa.Column('submitted_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('nil', sa.Boolean(), nullable=False),
        sa.Column('approved_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('approved_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('org', 'period', name='uq_period_report_org_period'),
    )
    op.create_index('ix_period_reports_org', 'period_reports', ['org'])
    op.create_table(
        'period_audit',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('org', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=16), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('nil', sa.Boolean(), nullable=False),
        sa.Column('by_org', sa.String(length=64), nullable=False),
        sa.Column('by_role', sa.String(length=16), nullable=True),
        sa.Column('by_token_id', sa.BigInteger(), nullable=True),
        sa.Column('by_account', sa.String(length=64), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('at', UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_period_audit_org', 'period_audit', ['org'])


def downgrade() -> None:
    op.drop_index('ix_period_audit_org', table_name='period_audit')
    op.drop_table('period_audit')
    op.drop_index('ix_period_reports_org', table_name='period_reports')
    op.drop_table('period_reports')
