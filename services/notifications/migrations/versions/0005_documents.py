"""documents handed over for delivery (the 调度会 pack): the key they were handed under, and the
files a digest carries

Revision ID: 0005
Revises: 0004
Created: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table('received_documents'):  # made with the models (by hand, tests) and stamped
        return
    op.create_table('received_documents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.Column('received_at', libs.common.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org', 'key', name='uq_received_documents')
    )
    op.create_table('digest_files',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('digest_id', 'position', name='uq_digest_file')
    )
    with op.batch_alter_table('digest_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_files_digest_id'), ['digest_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('digest_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_files_digest_id'))
    op.drop_table('digest_files')
    op.drop_table('received_documents')
