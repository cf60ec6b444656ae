"""Ingestion workers on a real broker: two `zhiku worker` processes on RabbitMQ, one killed with SIGKILL mid-job.

The test process plays the API: it stores originals and publishes jobs, and it owns the embedded vector store,
which the workers reach through it (index/vector_store_owner.py). Metadata live in PostgreSQL, the graph in the
session's Bolt server: every store is shared by three processes, as in a deployment.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, _postgres_database, graph_settings, make_runtime

BROKER_URL = os.environ.get("ZHIKU_TEST_BROKER_URL")  # e.g. amqp://guest:guest@127.0.0.1:5672/
LEASE_SECONDS = 4

pytestmark = pytest.mark.skipif(not (BROKER_URL and POSTGRES_URL),
                                reason="needs ZHIKU_TEST_BROKER_URL and ZHIKU_TEST_POSTGRES_URL (the test command sets them)")


def _notice(i: int, paragraphs: int) -> bytes:
    banks = ["中国工商银行", "招商银行", "中国建设银行", "浦发银行"]
    body = "\n\n".join(
        f"第{k}条 {banks[(i + k) % 4]}第{i}号通知规定：个人住房贷款首付比例不低于{20 + k % 10}%，"
        f"贷款期限最长{10 + k % 20}年，由{banks[(i + k + 1) % 4]}负责审批，审批时限为{3 + k % 5}个工作日。"
        for k in range(paragraphs))
    return f"# 第{i}号通知\n\n{body}\n".encode()


def _start_worker(env: dict, log: Path) -> subprocess.Popen:
    handle = open(log, "ab")
    return subprocess.Popen([sys.executable, "-m", "zhiku.api.cli", "worker"], env=env, stdout=handle,
                            stderr=subprocess.STDOUT)


@pytest.fixture
def deployment(tmp_path, bolt_server, shared_embedder, shared_ocr_reader, shared_transcriber):
    from zhiku.core.settings import Settings

    database = _postgres_database()
    database_url = next(database)
    namespace = f"zhiku-test-{uuid.uuid4().hex[:8]}"
    fields = dict(data_dir=tmp_path / "data", database_url=database_url, broker_url=BROKER_URL,
                  broker_namespace=namespace, job_lease_seconds=LEASE_SECONDS, chunk_size=200, chunk_overlap=40,
                  parent_chunk_size=800, **graph_settings(bolt_server))
    settings = Settings(_env_file=None, **fields)
    api = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    api.start()  # opens (and so owns) the embedded vector store before any worker starts
    env = {**os.environ, **{f"ZHIKU_{k.upper()}": str(v) for k, v in fields.items() if v is not None},
           "ZHIKU_MODEL_THREADS": "1"}
    workers = [_start_worker(env, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        yield api, workers, env, tmp_path
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
        api.close()
        _delete_queues(namespace)
        try:
            next(database)
        except StopIteration:
            pass


def _delete_queues(namespace: str) -> None:
    import pika

    from zhiku.core.models import JobLane
    from zhiku.ingest.broker_jobs import queue_name

    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    channel = connection.channel()
    for lane in JobLane:
        for suffix in ("", ".DQ", ".XQ"):
            channel.queue_delete(queue_name(namespace, lane.value) + suffix)
    connection.close()


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_a_killed_worker_loses_no_job_and_duplicates_no_chunk(deployment):
    from zhiku.api.knowledge_service import KnowledgeService
    from zhiku.index.vector_store import ChunkFilter

    api, workers, env, tmp_path = deployment
    service = KnowledgeService(api)
    kb = service.create_kb("broker-batch")
    # The first notice is long enough (about 60 chunks) to be killed in the middle of.
    uploads = [service.upload(kb.id, f"notice{i}.md", _notice(i, 90 if i == 0 else 6)) for i in range(8)]
    jobs = {u.document.id: u.job.id for u in uploads}
    pids = {w.pid: w for w in workers}

    def victim():
        job = api.metadata.get_job(jobs[uploads[0].document.id])
        if job.status == "processing" and job.stage == "embedding" and 0.5 < job.progress < 0.75 and job.worker:
            pid = int(job.worker.split(":")[1].split("/")[0])
            return pid if pid in pids else None
        return None

    killed_pid = _wait(victim, 240, "the long job to be half-way through embedding in a worker")
    os.kill(killed_pid, signal.SIGKILL)
    pids[killed_pid].wait()
    survivor = next(w for w in workers if w.pid != killed_pid)

    def all_finished():
        states = [api.metadata.get_job(j).status for j in jobs.values()]
        return all(s in ("done", "failed") for s in states)

    _wait(all_finished, 600, "every job to finish on the surviving worker")
    assert survivor.poll() is None, (tmp_path / "worker0.log").read_text()[-3000:]

    graph = api.graph_store
    for upload in uploads:
        document = api.metadata.get_document(upload.document.id)
        job = api.metadata.get_job(jobs[document.id])
        assert job.status == "done", (job.error, job.detail)
        assert document.status == "done" and document.indexed_hash == document.content_hash
        # every chunk once: as many points as chunks, each chunk index once, all of the live version
        points = api.vector_store.fetch(ChunkFilter(document_ids=[document.id]), 10_000)
        indexes = sorted(p.payload["chunk_index"] for p in points)
        assert indexes == list(range(document.chunk_count)) and document.chunk_count > 0
        assert {p.payload["version"] for p in points} == {document.content_hash}
        # the graph knows exactly live chunks of this document
        rows = graph._read("MATCH (c:Chunk {document_id: $d}) RETURN c.chunk_id AS id, c.version AS v",
                           d=document.id)
        assert rows, f"no graph facts for {document.name}"
        assert {r["v"] for r in rows} == {document.content_hash}
        assert {r["id"] for r in rows} <= {p.point_id for p in points}
        assert len({r["id"] for r in rows}) == len(rows)
    taken_over = api.metadata.get_job(jobs[uploads[0].document.id])
    assert taken_over.attempts == 2 and str(survivor.pid) in taken_over.worker
    # and it is searchable from another process: the CLI's search, through the store's owner
    hits = subprocess.run([sys.executable, "-m", "zhiku.api.cli", "search", "首付比例", "--kb", "broker-batch",
                           "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert hits.returncode == 0, hits.stderr[-2000:]
    assert "notice" in hits.stdout
