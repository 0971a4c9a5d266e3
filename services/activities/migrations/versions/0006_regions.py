"""regions: each activity keeps its reporter's region, and the copy of each organisation its region
(NULL on rows from before regions: the deployment's only region)

Revision ID: 0006
Revises: 0005
Created: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('activities') as batch:
        batch.add_column(sa.Column('region', sa.String(length=64), nullable=True))
    with op.batch_alter_table('known_organisations') as batch:
        batch.add_column(sa.Column('region', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('known_organisations') as batch:
        batch.drop_column('region')
    with op.batch_alter_table('activities') as batch:
        batch.drop_column('region')
