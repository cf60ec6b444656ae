"""Ingestion jobs over a message broker: Dramatiq on RabbitMQ (amqp://) or Redis (redis://).

The API only stores the original, writes the job row and publishes its id to the queue of the job's lane;
`zhiku worker` processes consume both lanes' queues, one set of threads per lane, so a small upload is
never held behind a large one. A message is acknowledged only after its job has run (late ack): when a
worker dies, the broker hands the message to another worker, which takes the job over once the dead
worker's lease has run out (JobExecutor). The metadata store, not the broker, says what is done: a
duplicate or redelivered message finds its job claimed or finished and does nothing.
(Why Dramatiq, and why RabbitMQ by default: docs/deployment.md, measured by scripts/measure_brokers.py.)
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import dramatiq
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries

from zhiku.core.errors import ConfigurationError
from zhiku.core.metadata_store import MetadataStore
from zhiku.core.models import JobLane, JobStatus
from zhiku.ingest.job_execution import JobExecutor

log = logging.getLogger(__name__)

ACTOR = "ingest"
# Infrastructure errors (database or vector store unreachable) raise out of the actor and are retried with
# back-off; a document's own failure ends its job in the pipeline and is never retried here.
_INFRA_RETRIES = 5


def make_broker(url: str) -> dramatiq.Broker:
    # No TimeLimit (a recording may take an hour; the pipeline keeps its own budget) and no shutdown
    # notifications (a stopping worker lets its job finish or leaves it to be taken over, never fails it).
    middleware = [AgeLimit(), Callbacks(), Pipelines(), Retries(max_retries=_INFRA_RETRIES, min_backoff=2_000,
                                                                max_backoff=60_000)]
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url, confirm_delivery=True, middleware=middleware)
    if url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url, middleware=middleware)
    raise ConfigurationError(f"ZHIKU_BROKER_URL must start with amqp:// (RabbitMQ) or redis:// (Redis), not "
                             f"{url.split(':', 1)[0]!r}")


def queue_name(namespace: str, lane: str) -> str:
    return f"{namespace}-ingest-{lane}"


def _message(namespace: str, lane: str, job_id: str) -> dramatiq.Message:
    return dramatiq.Message(queue_name=queue_name(namespace, lane), actor_name=f"{namespace}.{ACTOR}.{lane}",
                            args=(job_id,), kwargs={}, options={})


class BrokerJobQueue:
    """The API side: publishes job ids. Jobs run in `zhiku worker` processes, never here."""

    def __init__(self, url: str, namespace: str, metadata: MetadataStore):
        self._broker = make_broker(url)
        self._namespace = namespace
        self._metadata = metadata
        self._submitted: set[str] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        """Nothing to resume here: every worker re-publishes unfinished jobs when it starts."""

    def submit(self, job_id: str, lane: str | None = None) -> None:
        lane = lane or self._metadata.get_job(job_id).lane
        self._broker.enqueue(_message(self._namespace, lane, job_id))
        with self._lock:
            self._submitted.add(job_id)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every job this process submitted has finished (the CLI and tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                pending = set(self._submitted)
            for job_id in pending:
                try:
                    if self._metadata.get_job(job_id).status in (JobStatus.DONE.value, JobStatus.FAILED.value):
                        with self._lock:
                            self._submitted.discard(job_id)
                except Exception:  # noqa: BLE001 - deleted: nothing to wait for
                    with self._lock:
                        self._submitted.discard(job_id)
            with self._lock:
                if not self._submitted:
                    return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.5)

    def stop(self) -> None:
        self._broker.close()


class BrokerWorker:
    """The worker side: `threads` consumers per lane, each running one job at a time with no prefetch beyond it
    (a prefetched message would wait behind the running job)."""

    def __init__(self, url: str, namespace: str, executor_for: Callable[[str], JobExecutor],
                 metadata: MetadataStore, threads: int = 1):
        self._broker = make_broker(url)
        self._namespace = namespace
        self._metadata = metadata
        self._threads = threads
        self._executors = threading.local()
        self._executor_for = executor_for
        self._actors = {lane.value: self._declare(lane.value) for lane in JobLane}
        self._workers: list[dramatiq.Worker] = []

    def _declare(self, lane: str) -> dramatiq.Actor:
        def ingest(job_id: str) -> None:
            executor = getattr(self._executors, "executor", None)
            if executor is None:
                executor = self._executors.executor = self._executor_for(lane)
            retry_after = executor.execute(job_id)
            if retry_after is not None:  # another worker holds the job: look again when its lease would end
                self._broker.enqueue(_message(self._namespace, lane, job_id), delay=int(retry_after * 1000) + 500)

        ingest.__name__ = f"ingest_{lane}"
        return dramatiq.actor(ingest, actor_name=f"{self._namespace}.{ACTOR}.{lane}",
                              queue_name=queue_name(self._namespace, lane), broker=self._broker,
                              max_retries=_INFRA_RETRIES)

    def start(self) -> None:
        """Consume both lanes, after re-publishing every unfinished job: messages a broker lost (Redis keeps
        nothing on disk) are found again; duplicates are harmless."""
        for job_id in self._metadata.unfinished_job_ids():
            lane = self._metadata.get_job(job_id).lane
            self._broker.enqueue(_message(self._namespace, lane, job_id))
        for lane in self._actors:
            worker = dramatiq.Worker(self._broker, queues={queue_name(self._namespace, lane)},
                                     worker_threads=self._threads)
            worker.queue_prefetch = self._threads  # Dramatiq's default (2 per thread) would park a job behind one
            worker.start()
            self._workers.append(worker)
        log.info("ingestion worker consuming %s", ", ".join(queue_name(self._namespace, lane) for lane in self._actors))

    def stop(self, timeout_s: float = 600) -> None:
        """Stop taking jobs and wait for the running ones (up to the timeout: an unfinished job's message goes
        back to the broker and its lease lets another worker take it over)."""
        for worker in self._workers:
            worker.stop(timeout=int(timeout_s * 1000))
        self._broker.close()
