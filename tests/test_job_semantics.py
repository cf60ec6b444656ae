"""Jobs cannot wedge the service: capped attempts, cancellation on delete, small uploads never behind large ones."""
from __future__ import annotations

import time

import pytest

from tests.credentials import admin_headers
from tests.conftest import make_runtime, wait_for_job


def _notice(i: int, paragraphs: int) -> bytes:
    body = "\n\n".join(f"第{k}条 第{i}号通知：个人住房贷款首付比例不低于{20 + k % 10}%，贷款期限最长{10 + k % 20}年，"
                       f"由招商银行负责审批，审批时限为{3 + k % 5}个工作日。" for k in range(paragraphs))
    return f"# 第{i}号通知\n\n{body}\n".encode()


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def tuned_client(settings, shared_embedder, shared_ocr_reader, shared_transcriber):
    """An API whose large-job lane starts at 5 KB, so a test's documents fill both lanes quickly."""
    from fastapi.testclient import TestClient

    from zhiku.api.app import create_app

    tuned = settings.model_copy(update={"large_job_mb": 5 / 1024})
    runtime = make_runtime(tuned, shared_embedder, shared_ocr_reader, shared_transcriber)
    with TestClient(create_app(tuned, runtime), headers=admin_headers(tuned)) as client:
        yield client, runtime
    runtime.close()


def test_a_job_that_keeps_killing_its_worker_is_failed_with_its_last_error(settings, shared_embedder,
                                                                          shared_ocr_reader, shared_transcriber):
    from zhiku.api.knowledge_service import KnowledgeService
    from zhiku.index.vector_store import ChunkFilter

    capped = settings.model_copy(update={"job_max_attempts": 2})
    first = make_runtime(capped, shared_embedder, shared_ocr_reader, shared_transcriber)
    service = KnowledgeService(first)  # never started: it only queues, as a process that dies at once
    kb = service.create_kb("poison")
    upload = service.upload(kb.id, "bomb.md", _notice(0, 3))
    # Two processes took the job and died with it (as the DOCX bomb killed the server at every restart).
    for attempt in (1, 2):
        claim = first.metadata.claim_job(upload.job.id, f"host:{1000 + attempt}/small-0", lease_seconds=None)
        assert claim.outcome.value == "claimed" and claim.job.attempts == attempt
        first.metadata.report_progress(upload.job.id, "parsing", 0.2, "page 3/40", f"host:{1000 + attempt}/small-0")
    first.close()

    restarted = make_runtime(capped, shared_embedder, shared_ocr_reader, shared_transcriber)
    restarted.start()
    try:
        assert restarted.jobs.wait_idle(timeout=60)
        job = restarted.metadata.get_job(upload.job.id)
        assert job.status == "failed" and job.attempts == 2  # not started a third time
        assert job.error.startswith("gave up after 2 attempts; the last one: attempt 2 stopped during parsing "
                                    "(page 3/40)"), job.error
        document = restarted.metadata.get_document(upload.document.id)
        assert document.status == "failed" and document.error == job.error
        assert restarted.vector_store.count(ChunkFilter(document_ids=[document.id])) == 0
        # Deleting the document takes its job along: nothing is resumed at the next start.
        KnowledgeService(restarted).delete_document(document.id)
        assert upload.job.id not in restarted.metadata.unfinished_job_ids()
    finally:
        restarted.close()


def test_deleting_a_document_cancels_its_running_job(client, runtime):
    from zhiku.index.vector_store import ChunkFilter

    kb = client.post("/knowledge-bases", json={"name": "cancel"}).json()
    item = client.post(f"/knowledge-bases/{kb['id']}/documents",
                       files={"files": ("long.md", _notice(1, 400), "text/markdown")}).json()["items"][0]
    job_id, document_id = item["job_id"], item["document"]["id"]

    def half_way():
        job = client.get(f"/jobs/{job_id}").json()
        return job["stage"] == "embedding" and 0.46 < job["progress"] < 0.8  # a batch or more embedded

    _wait(half_way, 120, "the job to be half-way through embedding")
    assert client.delete(f"/documents/{document_id}").status_code == 204
    assert runtime.jobs.wait_idle(timeout=60)  # it stopped at its next progress report...
    assert client.get(f"/jobs/{job_id}").status_code == 404
    from zhiku.ingest.parsing import parse_document

    chunks = runtime.chunker.chunk(parse_document(_notice(1, 400), "long.md")[1])
    embedded = runtime.embedder.cache._db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    assert embedded < len(chunks) - 32, (embedded, len(chunks))  # the rest was never embedded
    # ...and took back what it had written: no chunk, no graph fact of the deleted document remains
    assert runtime.vector_store.count(ChunkFilter(document_ids=[document_id])) == 0
    assert runtime.graph_store._read("MATCH (c:Chunk {document_id: $d}) RETURN count(c) AS n", d=document_id)[0]["n"] == 0


def test_a_small_upload_is_not_held_behind_large_ones(tuned_client):
    client, runtime = tuned_client
    kb = client.post("/knowledge-bases", json={"name": "lanes"}).json()

    def upload(name: str, data: bytes) -> dict:
        return client.post(f"/knowledge-bases/{kb['id']}/documents",
                           files={"files": (name, data, "text/markdown")}).json()["items"][0]

    large = [upload(f"large{i}.md", _notice(10 + i, 250)) for i in range(3)]
    _wait(lambda: client.get(f"/jobs/{large[0]['job_id']}").json()["status"] == "processing", 60,
          "the first large job to start")
    small = upload("small.md", _notice(99, 2))
    waiting = [client.get(f"/jobs/{item['job_id']}").json() for item in large]
    assert [j["lane"] for j in waiting] == ["large"] * 3
    assert [j["queue_position"] for j in waiting[1:]] == [0, 1]  # where each waits
    assert waiting[0]["queue_position"] is None and "/large-" in waiting[0]["worker"]
    done = wait_for_job(client, small["job_id"], timeout=60)
    assert done["status"] == "done" and done["lane"] == "small"
    # the small upload finished while the first large one was still running
    assert client.get(f"/jobs/{large[0]['job_id']}").json()["status"] == "processing"
    listed = {d["name"]: d["latest_job"] for d in client.get(f"/knowledge-bases/{kb['id']}/documents").json()}
    assert listed["large2.md"]["queue_position"] == 1
    # deleting the knowledge base cancels the large jobs too: the running one stops, the queued ones are gone
    assert client.delete(f"/knowledge-bases/{kb['id']}").status_code == 204
    assert runtime.jobs.wait_idle(timeout=60)
