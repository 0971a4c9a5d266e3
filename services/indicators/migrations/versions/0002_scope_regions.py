"""scope regions: which region each counted scope belongs to (regions, issue 21); rows from before
regions are filled at start-up with the deployment's only region

Revision ID: 0002
Revises: 0001
Created: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scope_regions',
        sa.Column('scope', sa.String(length=80), nullable=False),
        sa.Column('region', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('scope'),
    )


def downgrade() -> None:
    op.drop_table('scope_regions')
