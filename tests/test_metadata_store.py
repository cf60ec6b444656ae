"""The metadata store on SQLite and PostgreSQL, with the schema made by the Alembic migrations."""
import pytest
from sqlalchemy import inspect

from zhiku.core.db import make_engine, migrate, session_factory
from zhiku.core.errors import Conflict, NotFound
from zhiku.core.metadata_store import MetadataStore, UploadOutcome


@pytest.fixture
def store(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)  # idempotent: a restart runs it again
    yield MetadataStore(session_factory(engine))
    engine.dispose()


def test_migrations_create_the_schema(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"knowledge_bases", "documents", "ingestion_jobs", "alembic_version"} <= tables
    columns = {c["name"] for c in inspect(engine).get_columns("documents")}
    assert {"content_hash", "name", "mime_type", "size_bytes", "status", "error", "created_at", "updated_at"} <= columns
    engine.dispose()


def test_knowledge_bases(store):
    kb = store.create_kb("信贷制度", "credit policies", "zh")
    with pytest.raises(Conflict):
        store.create_kb("信贷制度")
    assert store.get_kb("信贷制度").id == kb.id == store.get_kb(kb.id).id
    assert [k.name for k in store.list_kbs()] == ["信贷制度"]
    with pytest.raises(NotFound):
        store.get_kb("missing")
    assert store.delete_kb(kb.id) == []
    assert store.list_kbs() == []


def test_upload_outcomes_and_job_lifecycle(store):
    kb = store.create_kb("kb")
    first = store.register_upload(kb.id, "a.pdf", "h1", "application/pdf", "pdf", 10)
    assert first.outcome is UploadOutcome.QUEUED and first.job is not None
    assert store.unfinished_job_ids() == [first.job.id]
    assert store.start_job(first.job.id).attempts == 1
    store.report_progress(first.job.id, "embedding", 0.5, "5/10 chunks")
    assert store.get_job(first.job.id).detail == "5/10 chunks"
    assert store.mark_document_indexed(first.document.id, "h1", 10, 3)
    store.finish_job(first.job.id, "10 chunks")
    assert store.unfinished_job_ids() == []
    assert store.start_job(first.job.id) is None  # a finished job is never run again

    assert store.register_upload(kb.id, "a.pdf", "h1", "application/pdf", "pdf", 10).outcome is UploadOutcome.UNCHANGED
    assert store.register_upload(kb.id, "b.pdf", "h1", "application/pdf", "pdf", 10).outcome is UploadOutcome.DUPLICATE
    replaced = store.register_upload(kb.id, "a.pdf", "h2", "application/pdf", "pdf", 12)
    assert replaced.outcome is UploadOutcome.REPLACED and replaced.document.id == first.document.id
    # the old job's hash no longer matches: marking it indexed is refused
    assert not store.mark_document_indexed(first.document.id, "h1", 10, 3)
    store.mark_document_failed(first.document.id, "h2", "corrupt")
    assert store.get_document(first.document.id).status == "failed"
    retried = store.register_upload(kb.id, "a.pdf", "h2", "application/pdf", "pdf", 12)
    assert retried.job is not None, "re-uploading a failed document retries it"
    assert store.document_counts() == {kb.id: 1}
    # h1 is still the searchable version (h2 failed), so its original stays referenced until h2 is live
    assert store.is_hash_referenced("h2") and store.is_hash_referenced("h1")
    assert not store.is_hash_referenced("h3")

    deleted = store.delete_kb(kb.id)
    assert [d.name for d in deleted] == ["a.pdf"]
    with pytest.raises(NotFound):
        store.get_job(first.job.id)  # jobs go with their document
