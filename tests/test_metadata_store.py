"""The metadata store on SQLite and PostgreSQL, with the schema made by the Alembic migrations."""
import pytest
from sqlalchemy import inspect

from zhiku.core.db import make_engine, migrate, session_factory
from zhiku.core.errors import Conflict, NotFound
from zhiku.core.metadata_store import MetadataStore, UploadOutcome
from zhiku.core.models import KbRole


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


def test_the_readers_migration_keeps_existing_knowledge_bases_open_to_everyone(database_url):
    """Issue #11's upgrade: a knowledge base and documents made before migration 0010 stay readable by all."""
    from datetime import datetime, timezone

    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from zhiku.core.db import MIGRATIONS_DIR
    from zhiku.core.read_scope import ReadScope

    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
        connection.execute(text("INSERT INTO knowledge_bases (id, name, description, created_at) "
                                "VALUES ('kb1', 'old', '', CURRENT_TIMESTAMP)"))
        documents = sa.table("documents", *(sa.column(c) for c in (
            "id", "kb_id", "name", "content_hash", "mime_type", "file_type", "size_bytes", "status", "chunk_count",
            "created_at", "updated_at")), sa.column("access_principals", sa.JSON))
        now = datetime.now(timezone.utc)
        connection.execute(documents.insert(), [
            {"id": doc, "kb_id": "kb1", "name": doc, "content_hash": "h" + doc, "mime_type": "text/plain",
             "file_type": "txt", "size_bytes": 1, "status": "done", "chunk_count": 1, "created_at": now,
             "updated_at": now, "access_principals": principals}
            for doc, principals in (("d1", ["*"]), ("d2", ["group:credit"]))])
    migrate(engine)
    store = MetadataStore(session_factory(engine))
    kb = store.get_kb("kb1")
    assert kb.readers == ["*"] and kb.admins == []
    teller = ReadScope(kb_ids=["kb1"], principals=["user:teller"])
    assert [d.id for d in store.list_documents("kb1", teller)] == ["d1"]
    credit = ReadScope(kb_ids=["kb1"], principals=["user:officer", "group:credit"])
    assert sorted(d.id for d in store.list_documents("kb1", credit)) == ["d1", "d2"]
    admin = ReadScope(kb_ids=["kb1"], principals=["user:teller"], full_kb_ids=["kb1"])
    assert sorted(store.readable_document_ids(admin)) == ["d1", "d2"]
    assert store.kb_ids_with_role(["user:teller"], KbRole.READER) == {"kb1"}
    assert store.kb_ids_with_role(["user:teller"], KbRole.ADMIN) == set()
    engine.dispose()


def test_a_batch_claim_decides_each_job_on_its_own(store):
    """claim_jobs reads the batch's rows in one query: each job is still claimed, found busy or gone as alone."""
    from zhiku.core.metadata_store import ClaimOutcome

    kb = store.create_kb("kb")
    pending, held, finished, spent = (store.register_upload(kb.id, f"{n}.txt", f"h{n}", "text/plain", "txt", 1).job
                                      for n in range(4))
    assert store.claim_job(held.id, "other", lease_seconds=60).outcome is ClaimOutcome.CLAIMED
    store.start_job(finished.id)
    store.finish_job(finished.id, "done")
    for _ in range(2):
        store.claim_job(spent.id, "crashed", lease_seconds=0.001)  # two attempts whose worker died
    claims = store.claim_jobs([pending.id, held.id, finished.id, "no-such-job", spent.id], "me", lease_seconds=60,
                              max_attempts=2)
    assert [c.outcome for c in claims] == [ClaimOutcome.CLAIMED, ClaimOutcome.BUSY, ClaimOutcome.GONE,
                                           ClaimOutcome.GONE, ClaimOutcome.GONE]
    assert claims[0].job.worker == "me" and claims[0].job.attempts == 1 and claims[0].job.status == "processing"
    assert claims[1].retry_after > 0 and store.get_job(held.id).worker == "other"
    assert store.get_job(spent.id).status == "failed" and "gave up after 2 attempts" in store.get_job(spent.id).error
    assert store.get_document(pending.document_id).status == "processing"
