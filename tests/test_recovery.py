"""Nothing is lost on a crash: interrupted jobs run again at start-up, without duplicate chunks."""
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.runtime import Runtime
from zhiku.index.factory import build_caching_embedder
from zhiku.index.indexer import DocumentRef
from zhiku.index.vector_store import ChunkFilter
from zhiku.ingest.parsing import parse_document
from tests.documents import loan_policy_docx


def test_interrupted_jobs_resume_after_restart(settings, shared_embedder):
    crashed = Runtime(settings)
    crashed.__dict__["embedder"] = build_caching_embedder(settings, shared_embedder)
    service = KnowledgeService(crashed)
    kb = service.create_kb("kb")
    # Queue two uploads but never start the workers: the process "dies" with them pending.
    digest = crashed.files.save(loan_policy_docx())
    pending = crashed.metadata.register_upload(kb.id, "policy.docx", digest, "application/x", "docx", 1)
    processing = crashed.metadata.register_upload(
        kb.id, "notes.md", crashed.files.save("# 通知\n\n柜面业务九点开始办理。".encode()), "text/markdown", "markdown", 1)
    crashed.metadata.start_job(processing.job.id)  # it was half-way through when the process died
    # It even wrote some chunks of the new version before dying.
    chunks = crashed.chunker.chunk(parse_document("# 通知\n\n柜面业务九点开始办理。".encode(), "notes.md")[1])
    ref = DocumentRef(kb.id, processing.document.id, processing.document.content_hash, "notes.md", "markdown", ["*"])
    crashed.indexer.index(ref, chunks)
    crashed.close()

    restarted = Runtime(settings)
    restarted.__dict__["embedder"] = build_caching_embedder(settings, shared_embedder)
    restarted.start()
    try:
        assert restarted.jobs.wait_idle(timeout=120)
        for result in (pending, processing):
            job = restarted.metadata.get_job(result.job.id)
            assert job.status == "done", job.error
            document = restarted.metadata.get_document(result.document.id)
            assert restarted.vector_store.count(ChunkFilter(document_ids=[document.id])) == document.chunk_count > 0
        assert restarted.metadata.get_job(processing.job.id).attempts == 2
    finally:
        restarted.close()


def test_shutdown_leaves_queued_jobs_pending_and_they_finish_after_restart(settings, shared_embedder):
    first = Runtime(settings)
    first.__dict__["embedder"] = build_caching_embedder(settings, shared_embedder)
    first.start()
    service = KnowledgeService(first)
    kb = service.create_kb("kb")
    jobs = [service.upload(kb.id, f"note{i}.md", f"# 通知{i}\n\n第{i}号通知：网点营业时间调整。".encode()).job.id
            for i in range(20)]
    first.close()  # at once: the running job finishes, the queued ones are left for the next start
    statuses = [first.metadata.get_job(j).status for j in jobs]
    assert set(statuses) <= {"done", "pending"}, statuses  # none half-done, none failed

    second = Runtime(settings)
    second.__dict__["embedder"] = build_caching_embedder(settings, shared_embedder)
    second.start()
    try:
        assert second.jobs.wait_idle(timeout=120)
        assert {second.metadata.get_job(j).status for j in jobs} == {"done"}
    finally:
        second.close()
