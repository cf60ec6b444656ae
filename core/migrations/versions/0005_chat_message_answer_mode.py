"""which answer mode and model wrote each stored answer

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 20:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chat_messages') as batch:
        batch.add_column(sa.Column('answer_mode', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('model', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('chat_messages') as batch:
        batch.drop_column('model')
        batch.drop_column('answer_mode')
