"""channels kept sealed at rest: sealed target and secret; a copy made before sealing set aside

The copy's clear target and secret move to ``clear_target``/``clear_secret``; the service seals
them with its own key as it starts (``app.seal_stored_channels``, which needs the key this
migration does not have) and empties those columns.

Revision ID: 0003
Revises: 0002
Created: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if 'target' not in {c['name'] for c in sa.inspect(op.get_bind()).get_columns('channels')}:
        return  # made with the models (by hand, tests) and stamped: sealed already
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.alter_column('target', new_column_name='clear_target', existing_type=sa.Text(), nullable=True)
        batch_op.alter_column('secret', new_column_name='clear_secret', existing_type=sa.String(length=200),
                              nullable=True)
        batch_op.add_column(sa.Column('sealed_target', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sealed_secret', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    """Sealed channels cannot be opened here: they come back empty (`kepu org channel resend`)."""
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('sealed_secret')
        batch_op.drop_column('sealed_target')
    op.execute("update channels set clear_target = '' where clear_target is null")
    op.execute("update channels set clear_secret = '' where clear_secret is null")
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.alter_column('clear_target', new_column_name='target', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('clear_secret', new_column_name='secret', existing_type=sa.String(length=200),
                              nullable=False)
