"""Small jobs run as one batch (issue #14 item 6): one embedding pass, one index write, one commit for several
documents. Each job must still end on its own: the others are done when one document of the batch fails, whether it
fails while parsed or while written, and a batch writes each chunk once."""
from __future__ import annotations

from zhiku.index.vector_store import ChunkFilter


def _notice(i: int) -> bytes:
    return (f"# 第{i}号通知\n\n招商银行深圳分行第{i}号通知：个人住房贷款首付比例不低于{20 + i}%，"
            f"由招商银行负责审批。").encode()


def _queued(runtime, names_and_bytes):
    """Uploads stored and queued in a runtime whose job threads never started, as a burst of uploads leaves them."""
    from zhiku.api.knowledge_service import KnowledgeService

    service = KnowledgeService(runtime)
    kb = service.create_kb("batch")
    return [service.upload(kb.id, name, data) for name, data in names_and_bytes]


def _executor(runtime):
    from zhiku.ingest.job_execution import JobExecutor

    return JobExecutor(runtime.pipeline, "test-host:1/small-0", lease_seconds=60, max_attempts=3)


def _chunks(runtime, document_id: str) -> int:
    return runtime.vector_store.count(ChunkFilter(document_ids=[document_id]))


def _count_embedding_passes(runtime) -> list[int]:
    """The number of documents in each pass of the real indexer (it still runs), filled as the batch runs."""
    embedded: list[int] = []
    real_index_many = runtime.indexer.index_many

    def counted(documents, on_progress=None):
        embedded.append(len(documents))
        return real_index_many(documents, on_progress)

    runtime.indexer.index_many = counted
    return embedded


def test_a_batch_makes_every_document_searchable_with_its_graph_and_its_own_job(runtime):
    uploads = _queued(runtime, [(f"notice{i}.md", _notice(i)) for i in range(5)])
    embedded = _count_embedding_passes(runtime)
    outcome = _executor(runtime).execute_many([u.job.id for u in uploads])
    assert not outcome.retry
    assert embedded == [5]  # one pass of the model over the five documents' chunks
    for upload in uploads:
        job = runtime.metadata.get_job(upload.job.id)
        assert job.status == "done" and "graph:" in job.detail, job.detail
        document = runtime.metadata.get_document(upload.document.id)
        assert document.status == "done" and document.chunk_count == _chunks(runtime, document.id) > 0
        facts = runtime.graph_store._read("MATCH (c:Chunk {document_id: $d}) RETURN count(c) AS n",
                                          d=document.id)[0]["n"]
        assert facts == document.chunk_count
    # run again (a redelivered batch): nothing to do, nothing duplicated
    again = _executor(runtime).execute_many([u.job.id for u in uploads])
    assert not again.retry
    assert sum(_chunks(runtime, u.document.id) for u in uploads) == 5


def test_one_document_failing_while_parsed_fails_alone(runtime):
    uploads = _queued(runtime, [("a.md", _notice(1)), ("b.md", _notice(2))])
    # a document over the chunk limit fails in its parse step; the others of the batch are not held back by it
    runtime.pipeline.max_chunks = 1
    long = _queued_more(runtime, uploads[0].document.kb_id, "long.md",
                        ("# 长文\n\n" + "\n\n".join(f"第{k}条 " + "内容" * 200 for k in range(6))).encode())
    outcome = _executor(runtime).execute_many([uploads[0].job.id, long.job.id, uploads[1].job.id])
    assert not outcome.retry
    assert runtime.metadata.get_job(long.job.id).status == "failed"
    assert "ZHIKU_MAX_DOCUMENT_CHUNKS" in runtime.metadata.get_job(long.job.id).error
    for upload in uploads:
        assert runtime.metadata.get_job(upload.job.id).status == "done"
        assert _chunks(runtime, upload.document.id) == 1
    assert _chunks(runtime, long.document.id) == 0


def _queued_more(runtime, kb_id: str, name: str, data: bytes):
    from zhiku.api.knowledge_service import KnowledgeService

    return KnowledgeService(runtime).upload(kb_id, name, data)


def test_one_document_failing_while_written_fails_alone(runtime):
    uploads = _queued(runtime, [(f"notice{i}.md", _notice(i)) for i in range(3)])
    poisoned = uploads[1].document.id
    store = runtime.indexer.store
    real_upsert = store.upsert

    def refusing(points):  # the store refuses any write holding the poisoned document's chunks
        if any(p.payload["document_id"] == poisoned for p in points):
            raise RuntimeError("payload refused by the store")
        return real_upsert(points)

    store.upsert = refusing
    try:
        outcome = _executor(runtime).execute_many([u.job.id for u in uploads])
    finally:
        store.upsert = real_upsert
    assert not outcome.retry
    for upload in uploads:
        job = runtime.metadata.get_job(upload.job.id)
        if upload.document.id == poisoned:
            assert job.status == "failed" and "payload refused" in job.error, job.error
            assert runtime.metadata.get_document(poisoned).status == "failed"
            assert _chunks(runtime, poisoned) == 0
        else:
            assert job.status == "done", job.error
            assert _chunks(runtime, upload.document.id) == 1


def test_a_document_deleted_while_its_batch_runs_leaves_nothing_and_the_others_are_done(runtime):
    from zhiku.api.knowledge_service import KnowledgeService

    uploads = _queued(runtime, [(f"notice{i}.md", _notice(i)) for i in range(3)])
    doomed = uploads[2]
    real_index_many = runtime.indexer.index_many

    def deleting_first(documents, on_progress=None):  # the document is deleted while its batch is being embedded
        KnowledgeService(runtime).delete_document(doomed.document.id)
        return real_index_many(documents, on_progress)

    runtime.indexer.index_many = deleting_first
    outcome = _executor(runtime).execute_many([u.job.id for u in uploads])
    assert not outcome.retry
    assert _chunks(runtime, doomed.document.id) == 0
    assert runtime.graph_store._read("MATCH (c:Chunk {document_id: $d}) RETURN count(c) AS n",
                                     d=doomed.document.id)[0]["n"] == 0
    for upload in uploads[:2]:
        assert runtime.metadata.get_job(upload.job.id).status == "done"
        assert _chunks(runtime, upload.document.id) == 1


def test_a_batch_is_embedded_in_pieces_of_max_chunks_and_every_job_is_claimed_once(runtime):
    uploads = _queued(runtime, [(f"notice{i}.md", _notice(i)) for i in range(5)])
    embedded = _count_embedding_passes(runtime)
    outcome = _executor(runtime).execute_many([u.job.id for u in uploads], max_chunks=2)
    assert not outcome.retry and embedded == [2, 2, 1]
    assert {runtime.metadata.get_job(u.job.id).status for u in uploads} == {"done"}
    assert {runtime.metadata.get_job(u.job.id).attempts for u in uploads} == {1}


def test_a_job_another_worker_holds_is_offered_again_and_the_rest_run(runtime):
    uploads = _queued(runtime, [(f"notice{i}.md", _notice(i)) for i in range(3)])
    held = runtime.metadata.claim_job(uploads[1].job.id, "other-host:2/small-0", lease_seconds=60)
    assert held.outcome.value == "claimed"
    outcome = _executor(runtime).execute_many([u.job.id for u in uploads])
    assert list(outcome.retry) == [uploads[1].job.id] and 0.5 <= outcome.retry[uploads[1].job.id] <= 60
    assert [runtime.metadata.get_job(u.job.id).status for u in uploads] == ["done", "processing", "done"]
    assert runtime.metadata.get_job(uploads[1].job.id).worker == "other-host:2/small-0"
