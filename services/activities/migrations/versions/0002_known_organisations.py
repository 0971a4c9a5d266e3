"""activities keeps its own copy of the organisations (organisation_changed events)

Revision ID: 0002
Revises: 0001
Created: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('known_organisations',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('parent', sa.String(length=64), nullable=True),
    sa.Column('changed_at', libs.common.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )


def downgrade() -> None:
    op.drop_table('known_organisations')
