"""Runs ingestion jobs on background threads of the API process (the default, with no broker).

Jobs live in the metadata store, so a crash loses none: at start-up every job that was pending or
processing is queued again, and re-running a job is safe (deterministic point ids, versioned chunks).
Each lane (small and large jobs) has threads of its own, so a small upload never waits behind a large one.

With `overlap_graph` (ZHIKU_GRAPH_STAGE_OVERLAP, the default) each of those threads hands a job's graph stage —
run once the document is searchable: rule extraction and writes to the graph server, a third of a one-chunk
document's time in docs/profiles, most of it waiting for the server's reply — to a thread of its own and goes on
parsing and embedding the next job meanwhile. The graph stages run in order, at most 64 small jobs (one large job)
behind per thread, small ones up to 32 at a time (one graph transaction, one metadata commit for them all); each job
stays `processing`, with its lease kept, until its graph stage and its finish have run, so a crash in between runs it
again at the next start like any unfinished job.

Small jobs waiting together in the queue run as one batch (up to 32 jobs, embedded 64 chunks at a time): one embedding pass, one index
write, one commit making them searchable (JobExecutor.execute_many); each keeps its own claim, progress, cancellation
and failure.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from zhiku.core.models import JobLane
from zhiku.ingest.job_execution import (SMALL_BATCH_CHUNKS, SMALL_BATCH_JOBS, BatchOutcome, JobExecutor,
                                        worker_name)
from zhiku.ingest.pipeline import GraphStage, IngestionPipeline

log = logging.getLogger(__name__)
_STOP = object()
_SMALL_LANE_GRAPH_DEPTH = 2 * SMALL_BATCH_JOBS
_SMALL_LANE_GRAPH_BATCH = SMALL_BATCH_JOBS  # half the depth: the next batch gathers while one is written


class JobRunner:
    def __init__(self, pipeline: IngestionPipeline, workers: int = 1, lease_seconds: float = 60,
                 max_attempts: int = 3, overlap_graph: bool = False):
        self._pipeline = pipeline
        self._overlap_graph = overlap_graph
        self._queues: dict[str, queue.Queue] = {lane.value: queue.Queue() for lane in JobLane}
        self._threads = [
            threading.Thread(target=self._work, name=f"ingest-{lane}-{i}", daemon=True,
                             args=(lane, JobExecutor(pipeline, worker_name(lane, i), lease_seconds, max_attempts)))
            for lane in self._queues for i in range(workers)
        ]
        self._idle = threading.Condition()
        self._in_flight = 0
        self._stopping = threading.Event()
        self._retries: set[threading.Timer] = set()

    def start(self) -> None:
        for job_id in self._pipeline.metadata.unfinished_job_ids():
            self.submit(job_id)
        for thread in self._threads:
            thread.start()

    def submit(self, job_id: str, lane: str | None = None) -> None:
        """Queue a stored job; `lane` as stored with it, when the caller has it at hand (an upload: no read of the
        job row again, docs/profiles), else read from the store."""
        if lane is None:
            try:
                lane = self._pipeline.metadata.get_job(job_id).lane
            except Exception:  # noqa: BLE001 - deleted meanwhile: the small lane finds out and drops it
                lane = JobLane.SMALL.value
        with self._idle:
            self._in_flight += 1
        self._queues.get(lane, self._queues[JobLane.SMALL.value]).put(job_id)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every submitted job has finished (for the CLI and tests)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    def stop(self) -> None:
        """Finish the jobs being run; queued ones stay pending in the store and run at the next start."""
        self._stopping.set()
        with self._idle:
            for timer in self._retries:
                timer.cancel()
        for lane_queue in self._queues.values():
            for _ in range(len(self._threads)):
                lane_queue.put(_STOP)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=30)

    def _work(self, lane: str, executor: JobExecutor) -> None:
        lane_queue = self._queues[lane]
        # Small documents' graph stages may fall a few jobs behind (the graph server answers slowly while its JVM
        # warms up: with one behind, `zhiku ingest` waited 18% of the time for it) and are written a few at a time;
        # a large document's, one.
        small = lane == JobLane.SMALL.value
        tail = _GraphTail(f"graph-{lane}", self._pipeline.finish, depth=_SMALL_LANE_GRAPH_DEPTH if small else 1,
                          batch=_SMALL_LANE_GRAPH_BATCH if small else 1) if self._overlap_graph else None
        stop = False
        while not stop:
            if tail is not None and lane_queue.empty():
                tail.flush()  # nothing queued behind: the waiting graph stages need not wait for more
            job_ids = [lane_queue.get()]
            # what else waits, up to a batch (a large job runs alone)
            while small and job_ids[-1] is not _STOP and len(job_ids) < SMALL_BATCH_JOBS:
                try:
                    job_ids.append(lane_queue.get_nowait())
                except queue.Empty:
                    break
            if job_ids[-1] is _STOP:
                job_ids.pop()
                stop = True
            outcome, handed = BatchOutcome(), set()

            def hand_over(stage: GraphStage) -> None:  # in flight until its graph stage has run
                assert tail is not None
                handed.add(stage.job_id)
                tail.submit(stage, self._done)

            try:
                if job_ids and not self._stopping.is_set():
                    outcome = executor.execute_many(job_ids, defer=hand_over if tail is not None else None,
                                                    max_chunks=SMALL_BATCH_CHUNKS if small else 0)
            except Exception:  # noqa: BLE001 - a broken job must not kill the worker
                log.exception("ingestion jobs %s crashed", ", ".join(job_ids))
            for job_id in job_ids:
                if job_id in handed:
                    continue
                if job_id in outcome.retry and not self._stopping.is_set():
                    self._retry_later(lane_queue, job_id, outcome.retry[job_id])  # stays in flight until it is run
                else:
                    self._done()
        if tail is not None:
            tail.close()  # the last jobs' graph stages finish before the runner stops

    def _retry_later(self, lane_queue: queue.Queue, job_id: str, seconds: float) -> None:
        def requeue() -> None:
            with self._idle:
                self._retries.discard(timer)
            lane_queue.put(job_id)

        timer = threading.Timer(seconds, requeue)
        timer.daemon = True
        with self._idle:
            self._retries.add(timer)
        timer.start()

    def _done(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()


class _GraphTail:
    """One ingestion thread's jobs' graph stages, run in order on a thread of their own, at most `depth` of them
    waiting or running: the ingestion thread waits only when that many are behind.

    The stages are run several at a time (`IngestionPipeline.finish`: their facts in one graph transaction, the
    jobs ended in one metadata commit): the graph server's work is per statement, not per document (docs/profiles).
    A batch starts when `batch` stages wait, when the ingestion thread has nothing more queued (`flush`), or when
    the oldest has waited `linger_s` — the documents are searchable already, only their facts wait."""

    def __init__(self, name: str, finish: Callable[[list[GraphStage]], None], depth: int = 1, batch: int = 1,
                 linger_s: float = 1.0):
        self._finish = finish
        self._depth = max(1, depth)
        self._batch = max(1, min(batch, self._depth))
        self._linger_s = linger_s
        self._waiting: list[tuple[GraphStage, Callable[[], None], float]] = []
        self._running = 0
        self._flush = False
        self._closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, stage: GraphStage, done: Callable[[], None]) -> None:
        with self._changed:
            while len(self._waiting) + self._running >= self._depth:
                self._changed.wait()
            self._waiting.append((stage, done, time.monotonic()))
            self._changed.notify_all()

    def flush(self) -> None:
        """Nothing more is coming for now: run what waits without waiting for a full batch."""
        with self._changed:
            self._flush = True
            self._changed.notify_all()

    def _next_batch(self) -> list[tuple[GraphStage, Callable[[], None], float]] | None:
        with self._changed:
            while True:
                if self._waiting and (self._flush or self._closed or len(self._waiting) >= self._batch):
                    break
                if not self._waiting:
                    if self._closed:
                        return None
                    self._changed.wait()
                    continue
                left = self._waiting[0][2] + self._linger_s - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            batch, self._waiting = self._waiting, []
            self._running, self._flush = len(batch), False
            return batch

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                self._finish([stage for stage, _, _ in batch])
            except Exception:  # noqa: BLE001 - as a crashed job: logged; it reruns at the next start
                log.exception("ingestion jobs %s crashed in their graph stage", ", ".join(s.job_id for s, _, _ in batch))
            finally:
                for _, done, _ in batch:
                    done()
                with self._changed:
                    self._running = 0
                    self._changed.notify_all()

    def close(self) -> None:
        """Run what waits, then stop."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._thread.join()
