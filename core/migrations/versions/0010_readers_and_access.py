"""readers and access (issue #11): knowledge-base readers and admins, per-document readers, the uploader

Every existing knowledge base becomes readable by everyone ("*") and every existing document keeps its
`access_principals` (["*"] unless narrowed), so nothing changes for anyone until an admin narrows it.

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'kb_members',
        sa.Column('kb_id', sa.String(length=32), sa.ForeignKey('knowledge_bases.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('principal', sa.String(length=200), primary_key=True),
        sa.Column('role', sa.String(length=10), primary_key=True),
    )
    op.create_index('ix_kb_members_principal', 'kb_members', ['principal', 'role'])
    op.create_table(
        'document_readers',
        sa.Column('document_id', sa.String(length=32), sa.ForeignKey('documents.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('principal', sa.String(length=200), primary_key=True),
    )
    op.create_index('ix_document_readers_principal', 'document_readers', ['principal'])
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('uploaded_by', sa.String(length=200), nullable=True))

    connection = op.get_bind()
    kb_ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM knowledge_bases"))]
    if kb_ids:
        connection.execute(sa.text("INSERT INTO kb_members (kb_id, principal, role) VALUES (:kb, '*', 'reader')"),
                           [{"kb": kb_id} for kb_id in kb_ids])
    documents = sa.table('documents', sa.column('id', sa.String), sa.column('access_principals', sa.JSON))
    rows = []
    for document_id, principals in connection.execute(sa.select(documents.c.id, documents.c.access_principals)):
        for principal in dict.fromkeys(principals or ['*']):
            rows.append({"doc": document_id, "principal": principal})
    if rows:
        connection.execute(sa.text("INSERT INTO document_readers (document_id, principal) VALUES (:doc, :principal)"),
                           rows)


def downgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('uploaded_by')
    op.drop_index('ix_document_readers_principal', table_name='document_readers')
    op.drop_table('document_readers')
    op.drop_index('ix_kb_members_principal', table_name='kb_members')
    op.drop_table('kb_members')
