"""ingestion jobs: size lane, the worker running a job and its lease

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ingestion_jobs') as batch:
        batch.add_column(sa.Column('lane', sa.String(length=10), nullable=False, server_default='small'))
        batch.add_column(sa.Column('worker', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_jobs_lane_queue', 'ingestion_jobs', ['lane', 'status', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_jobs_lane_queue', table_name='ingestion_jobs')
    with op.batch_alter_table('ingestion_jobs') as batch:
        batch.drop_column('lease_until')
        batch.drop_column('worker')
        batch.drop_column('lane')
