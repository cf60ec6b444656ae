"""knowledge-base chunking settings; feedback on answers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 18:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('knowledge_bases') as batch:
        batch.add_column(sa.Column('chunk_size', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('chunk_overlap', sa.Integer(), nullable=True))
    op.create_table('answer_feedback',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('message_id', sa.String(length=32), nullable=False),
    sa.Column('rating', sa.String(length=8), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['chat_messages.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_answer_feedback_message_id', 'answer_feedback', ['message_id'])


def downgrade() -> None:
    op.drop_index('ix_answer_feedback_message_id', table_name='answer_feedback')
    op.drop_table('answer_feedback')
    with op.batch_alter_table('knowledge_bases') as batch:
        batch.drop_column('chunk_overlap')
        batch.drop_column('chunk_size')
