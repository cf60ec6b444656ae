"""`zhiku ingest` and `zhiku reindex`: put files into a knowledge base and wait until they are searchable."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from zhiku.api.cli.common import fail, follow_jobs, open_service
from zhiku.core.errors import ZhikuError


def ingest(paths: list[Path] = typer.Argument(..., help="Files or folders"),
           kb: str = typer.Option(..., "--kb", help="Knowledge base name (created if missing)"),
           language: Optional[str] = typer.Option(None, help="Spoken language of recordings (zh, en, ...); "
                                                  "default: the knowledge base's, else detected")):
    """Ingest files into a knowledge base and wait until they are searchable."""
    service = open_service()
    try:
        kb_row = service.rt.metadata.find_kb(kb) or service.create_kb(kb)
        files = [p for path in paths for p in (sorted(path.rglob("*")) if path.is_dir() else [path]) if p.is_file()]
        started = time.perf_counter()
        job_ids: dict[str, str] = {}
        for path in files:
            try:
                result = service.upload(kb_row.id, path.name, path.read_bytes(), language=language)
            except ZhikuError as exc:
                typer.secho(f"{path}: rejected: {exc.message}", fg=typer.colors.YELLOW, err=True)
                continue
            if result.job is not None:
                job_ids[path.name] = result.job.id
            else:
                typer.echo(f"{path}: {result.outcome.value}")
        try:
            follow_jobs(service, job_ids)
        finally:
            typer.echo(f"{len(job_ids)} files ingested in {time.perf_counter() - started:.1f} s")
    finally:
        service.rt.close()


def reindex(kb: list[str] = typer.Option(None, "--kb", help="Knowledge base(s); default all")):
    """Ingest every stored original again, e.g. into a new collection after changing the embedder."""
    service = open_service()
    try:
        job_ids = {}
        for kb_id in service.resolve_kbs(kb or None):
            for document in service.rt.metadata.list_documents(kb_id):
                job_ids[document.name] = service.reindex_document(document.id)
        follow_jobs(service, job_ids)
    except ZhikuError as exc:
        fail(exc)
    finally:
        service.rt.close()


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(reindex)
