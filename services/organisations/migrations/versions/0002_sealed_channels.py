"""channels sealed for notifications: sealed target and secret, their masked forms; clear ones set aside

Channels added before sealing cannot be sealed here (organisations has no key, and a
migration should not wait for notifications): their clear target and secret move to
``clear_target``/``clear_secret`` and their masked forms are computed now (so ``kepu org
channel list`` shows them), until ``kepu org channel seal`` fetches notifications' public key,
seals them and empties those columns. Until then they are not sent to notifications, which
keeps its own copy of them, sealed at its start (its revision 0003).

Revision ID: 0002
Revises: 0001
Created: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from libs.common.channels import mask_secret, masked

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

channels = sa.table('channels', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                    sa.column('clear_target', sa.Text), sa.column('clear_secret', sa.String),
                    sa.column('target_shown', sa.Text), sa.column('secret_shown', sa.String))


def upgrade() -> None:
    if 'target' not in {c['name'] for c in sa.inspect(op.get_bind()).get_columns('channels')}:
        return  # made with the models (by hand, tests) and stamped: sealed already
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.alter_column('target', new_column_name='clear_target', existing_type=sa.Text(), nullable=True)
        batch_op.alter_column('secret', new_column_name='clear_secret', existing_type=sa.String(length=200),
                              nullable=True)
        batch_op.add_column(sa.Column('sealed_target', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sealed_secret', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('target_shown', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('secret_shown', sa.String(length=40), nullable=False, server_default=''))
    conn = op.get_bind()
    for row in conn.execute(sa.select(channels.c.id, channels.c.kind, channels.c.clear_target,
                                      channels.c.clear_secret)).all():
        conn.execute(channels.update().where(channels.c.id == row.id).values(
            target_shown=masked(row.kind, row.clear_target or ''), secret_shown=mask_secret(row.clear_secret or '')))


def downgrade() -> None:
    """Channels sealed since cannot be opened here: they come back empty (add them again)."""
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('secret_shown')
        batch_op.drop_column('target_shown')
        batch_op.drop_column('sealed_secret')
        batch_op.drop_column('sealed_target')
    op.execute("update channels set clear_target = '' where clear_target is null")
    op.execute("update channels set clear_secret = '' where clear_secret is null")
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.alter_column('clear_target', new_column_name='target', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('clear_secret', new_column_name='secret', existing_type=sa.String(length=200),
                              nullable=False)
