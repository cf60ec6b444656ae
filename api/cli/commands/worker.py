"""`zhiku worker`: run ingestion jobs from the broker (ZHIKU_BROKER_URL) until stopped."""
from __future__ import annotations

import logging

import typer

from zhiku.api.cli.common import fail
from zhiku.core.errors import ZhikuError
from zhiku.core.settings import get_settings


def worker(threads: int = typer.Option(None, help="Threads per lane (small and large jobs); default "
                                                   "ZHIKU_INGEST_WORKERS")):
    """Run ingestion jobs from the broker's queues; SIGTERM or Ctrl-C lets the running jobs finish first."""
    from zhiku.api.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    settings = get_settings()
    if threads:
        settings = settings.model_copy(update={"ingest_workers": threads})
    try:
        run_worker(settings)
    except ZhikuError as exc:
        fail(exc)


def register(app: typer.Typer) -> None:
    app.command()(worker)
