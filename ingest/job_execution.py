"""One attempt at one job, as any worker runs it: claim it in the metadata store, keep the claim alive, run it.

The metadata store is the source of truth, not the queue that delivered the job id: a job id may arrive
twice (a broker redelivers after a worker dies, a sweep re-queues), and the claim lets exactly one worker
run it at a time. The pipeline's effects are idempotent (deterministic point ids, a version made live only
when complete, graph writes that MERGE), so a job taken over after a crash ends with each chunk once.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from zhiku.core.metadata_store import ClaimOutcome, MetadataStore
from zhiku.ingest.pipeline import BatchReads, GraphStage, IngestionPipeline

log = logging.getLogger(__name__)

# Small jobs waiting together in the in-process runner's queue run as one batch (JobExecutor.execute_many): claimed in
# one transaction, parsed one by one, then one pass of the model over their chunks (32 one-chunk documents fill one
# embedding call, as the floor's), one index write, one metadata commit making them searchable, one graph write. Up to
# 32 jobs, embedded whenever the parsed ones hold 64 chunks (two embedding calls), so a document never waits long
# behind others to become searchable. A broker worker runs its message's job alone (execute): taking other pending jobs
# along would let one killed worker hold them all until their leases ran out.
SMALL_BATCH_JOBS = 32
SMALL_BATCH_CHUNKS = 64


def worker_name(lane: str, slot: int) -> str:
    """Unique per running executor: the claim and every later write are checked against it."""
    return f"{socket.gethostname()}:{os.getpid()}/{lane}-{slot}"


class JobExecutor:
    def __init__(self, pipeline: IngestionPipeline, worker: str, lease_seconds: float, max_attempts: int):
        self.pipeline = pipeline
        self.worker = worker
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts

    @property
    def metadata(self) -> MetadataStore:
        return self.pipeline.metadata

    def execute(self, job_id: str, defer: Callable[[GraphStage], None] | None = None) -> float | None:
        """Run the job if nobody else holds it. Returns None when there is nothing more to do for this id, or
        the seconds after which to offer it again (another worker holds its lease: if that worker dies, the
        job is taken over then).

        `defer` (IngestionPipeline.run): the job's graph stage and its finish may be handed to it, to be run later
        by another thread through `IngestionPipeline.finish`; the lease is kept until they have run. Only a caller
        that reruns the unfinished jobs of a crashed process passes it (the in-process JobRunner): a broker worker
        acknowledges its message when this returns, so it finishes the job here."""
        return self.execute_many([job_id], defer).retry.get(job_id)

    def execute_many(self, job_ids: list[str], defer: Callable[[GraphStage], None] | None = None,
                     max_chunks: int = 0) -> BatchOutcome:
        """Run several jobs in batches: all claimed in one transaction, each parsed in turn, and whenever the parsed
        ones hold `max_chunks` chunks (0: no limit) — and at the end — their chunks embedded and written together
        and their documents made searchable (IngestionPipeline.complete): for small documents, whose per-document
        steps would otherwise sit between small embedding calls. Each job keeps its own claim, lease, progress,
        cancellation and failure; a claimed job waiting for its turn keeps its lease."""
        outcome = BatchOutcome()
        claimed: list = []
        handed: set[str] = set()  # jobs whose graph stage was handed over: their lease goes when it has run
        keeper: _LeaseKeeper | None = None

        def hand_over(stage: GraphStage) -> None:
            assert defer is not None and keeper is not None
            handed.add(stage.job_id)
            stage.after.append(lambda: keeper.release(stage.job_id))  # the lease is kept until the job has ended
            defer(stage)

        def complete(batch: list) -> None:
            try:
                self.pipeline.complete(batch, defer=hand_over if defer is not None else None)
            finally:
                for prepared in batch:  # ended here (or crashed), unless handed over: its lease is not kept
                    if prepared.job.id not in handed:
                        keeper.release(prepared.job.id)

        try:
            claims = self.metadata.claim_jobs(job_ids, self.worker, self.lease_seconds, self.max_attempts)
            for job_id, claim in zip(job_ids, claims):
                if claim.outcome is ClaimOutcome.BUSY:
                    outcome.retry[job_id] = max(claim.retry_after, 0.5)
                elif claim.outcome is ClaimOutcome.CLAIMED:
                    claimed.append(claim.job)
            keeper = _LeaseKeeper(self.metadata, [job.id for job in claimed], self.worker, self.lease_seconds)
            batch, chunks = [], 0
            reads = BatchReads(self.metadata, claimed) if claimed else None
            for job in claimed:
                prepared = self.pipeline.prepare(job, self.worker, reads)
                if prepared is None:
                    keeper.release(job.id)
                    continue
                batch.append(prepared)
                chunks += len(prepared.chunks)
                if max_chunks and chunks >= max_chunks:
                    complete(batch)
                    batch, chunks = [], 0
            if batch:
                complete(batch)
        finally:
            if keeper is not None:  # a crash on the way: the leases not handed over are not kept
                for job in claimed:
                    if job.id not in handed:
                        keeper.release(job.id)
        return outcome


@dataclass
class BatchOutcome:
    retry: dict[str, float] = field(default_factory=dict)  # job id → seconds after which to offer it again


class _LeaseKeeper:
    """Renews the leases of a batch's jobs every third of their length while they run, so a long OCR page or speech
    window between two progress reports never lets another worker take over a live job: one thread and one
    transaction per beat for the whole batch (a thread per job renewed 32 leases in 32 commits when a batch took
    longer than a beat; docs/profiles). A job leaves the keeper when it has ended (`release`)."""

    def __init__(self, metadata: MetadataStore, job_ids: list[str], worker: str, lease_seconds: float):
        self._metadata, self._worker, self._lease = metadata, worker, lease_seconds
        self._held = set(job_ids)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease-{job_ids[0][:8] if job_ids else ''}",
                                        daemon=True)
        if self._held:
            self._thread.start()

    def release(self, job_id: str) -> None:
        """The job has ended (or is no longer this worker's): its lease is not renewed any more."""
        with self._lock:
            self._held.discard(job_id)
            if self._held:
                return
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _renew(self) -> None:
        while not self._stop.wait(self._lease / 3):
            with self._lock:
                held = sorted(self._held)
            try:
                kept = self._metadata.renew_leases(held, self._worker, self._lease)
            except Exception:  # noqa: BLE001 - a database hiccup: try again at the next beat
                log.warning("could not renew the leases of jobs %s", ", ".join(held), exc_info=True)
                continue
            with self._lock:
                self._held &= kept  # deleted or taken over: the pipeline stops at its next progress report
                if not self._held:
                    return
