"""Runs ingestion jobs on background threads of the API process.

Jobs live in the metadata store, so a crash loses none: at start-up every job that was pending or
processing is queued again, and re-running a job is safe (deterministic point ids, versioned chunks).
"""
from __future__ import annotations

import logging
import queue
import threading

from zhiku.ingest.pipeline import IngestionPipeline

log = logging.getLogger(__name__)
_STOP = object()


class JobRunner:
    def __init__(self, pipeline: IngestionPipeline, workers: int = 1):
        self._pipeline = pipeline
        self._queue: queue.Queue = queue.Queue()
        self._threads = [threading.Thread(target=self._work, name=f"ingest-{i}", daemon=True) for i in range(workers)]
        self._idle = threading.Condition()
        self._in_flight = 0
        self._stopping = threading.Event()

    def start(self) -> None:
        for job_id in self._pipeline.metadata.unfinished_job_ids():
            self.submit(job_id)
        for thread in self._threads:
            thread.start()

    def submit(self, job_id: str) -> None:
        with self._idle:
            self._in_flight += 1
        self._queue.put(job_id)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every submitted job has finished (for the CLI and tests)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    def stop(self) -> None:
        """Finish the jobs being run; queued ones stay pending in the store and run at the next start."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=30)

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is _STOP:
                return
            if self._stopping.is_set():
                self._done()
                continue
            try:
                self._pipeline.run(job_id)
            except Exception:  # noqa: BLE001 - a broken job must not kill the worker
                log.exception("ingestion job %s crashed", job_id)
            finally:
                self._done()

    def _done(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()
