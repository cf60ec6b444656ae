"""guardrail policy per knowledge base; originals discarded and awaiting removal

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-06 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('knowledge_bases') as batch:
        batch.add_column(sa.Column('guardrails', sa.JSON(), nullable=True))
    op.create_table(
        'discarded_files',
        sa.Column('content_hash', sa.String(length=64), primary_key=True),
        sa.Column('discarded_at', sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('discarded_files')
    with op.batch_alter_table('knowledge_bases') as batch:
        batch.drop_column('guardrails')
