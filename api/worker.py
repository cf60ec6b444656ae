"""`zhiku worker`: a process that runs ingestion jobs from the broker (ZHIKU_BROKER_URL).

It builds the same components as the API (api/runtime.py) from the same settings, and needs the same
stores: the metadata database, the vector store (a Qdrant server, or the embedded engine through the
process that owns it: index/vector_store_owner.py) and the graph server.
"""
from __future__ import annotations

import logging
import signal
import threading

from zhiku.api.runtime import Runtime
from zhiku.core.errors import ConfigurationError
from zhiku.core.settings import Settings
from zhiku.ingest.broker_jobs import BrokerWorker


def run_worker(settings: Settings, stop: threading.Event | None = None) -> None:
    """Consume jobs until SIGTERM/SIGINT (or `stop` is set); running jobs finish first."""
    if not settings.broker_url:
        raise ConfigurationError("`zhiku worker` needs ZHIKU_BROKER_URL (amqp://… or redis://…); without a broker "
                                 "the API process runs jobs itself")
    stop = stop or threading.Event()
    runtime = Runtime(settings, worker_process=True)
    runtime.open_stores()
    try:  # load the embedding model before taking jobs, not inside the first one (as the API process does)
        runtime.embedder.inner.embed_passages(["预热"])
    except Exception:  # noqa: BLE001 - e.g. an embedding server not up yet: the first job will try again
        logging.getLogger(__name__).warning("the embedding model did not load at start", exc_info=True)
    worker = BrokerWorker(settings.broker_url, settings.broker_namespace, runtime.job_executor, runtime.metadata,
                          threads=settings.ingest_workers)
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    worker.start()
    logging.getLogger(__name__).info("worker ready")
    try:
        stop.wait()
    finally:
        logging.getLogger(__name__).info("worker stopping: waiting for running jobs")
        worker.stop()
        runtime.close()

