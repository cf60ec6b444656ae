"""`zhiku ingest` and `zhiku reindex`: put files into a knowledge base and wait until they are searchable. With
a server running on the data folder (or --server URL) the files go to it over HTTP, with the same output."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from zhiku.api.cli.common import api_key_option, follow_jobs, open_service, remote_service, server_option


def _files(paths: list[Path]) -> list[Path]:
    return [p for path in paths for p in (sorted(path.rglob("*")) if path.is_dir() else [path]) if p.is_file()]


def _rejected(path: Path, message: str) -> None:
    typer.secho(f"{path}: rejected: {message}", fg=typer.colors.YELLOW, err=True)


def _ingest_remote(remote, files: list[Path], kb: str, language: Optional[str]) -> dict[str, str]:
    kb_row = remote.find_or_create_kb(kb)
    job_ids: dict[str, str] = {}
    for path in files:
        item = remote.upload(kb_row.id, path, language).items[0]
        if item.outcome == "rejected":
            _rejected(path, item.error.message if item.error else "rejected")
        elif item.job_id is not None:
            job_ids[path.name] = item.job_id
        else:
            typer.echo(f"{path}: {item.outcome}")
    return job_ids


def _ingest_local(service, files: list[Path], kb: str, language: Optional[str]) -> dict[str, str]:
    from zhiku.core.errors import ZhikuError

    kb_row = service.rt.metadata.find_kb(kb) or service.create_kb(kb)
    job_ids: dict[str, str] = {}
    for path in files:
        try:
            result = service.upload(kb_row.id, path.name, path.read_bytes(), language=language)
        except ZhikuError as exc:
            _rejected(path, exc.message)
            continue
        if result.job is not None:
            job_ids[path.name] = result.job.id
        else:
            typer.echo(f"{path}: {result.outcome.value}")
    return job_ids


def ingest(paths: list[Path] = typer.Argument(..., exists=True, help="Files or folders"),
           kb: str = typer.Option(..., "--kb", help="Knowledge base name (created if missing)"),
           language: Optional[str] = typer.Option(None, help="Spoken language of recordings (zh, en, zh-en for "
                                                  "code-switched, ...); default: the knowledge base's, else "
                                                  "detected"),
           server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Ingest files into a knowledge base and wait until they are searchable."""
    from zhiku.core.languages import spoken_language

    language = spoken_language(language)  # a bad code is refused before any file is read
    files = _files(paths)
    started = time.perf_counter()
    remote = remote_service(server, api_key)
    if remote is not None:
        with remote:
            job_ids = _ingest_remote(remote, files, kb, language)
            try:
                follow_jobs(remote.jobs, job_ids)
            finally:
                typer.echo(f"{len(job_ids)} files ingested in {time.perf_counter() - started:.1f} s")
        return
    service = open_service(warm_embedder=True)
    try:
        uploading = time.perf_counter()
        job_ids = _ingest_local(service, files, kb, language)
        try:
            follow_jobs(service.rt.metadata.get_jobs, job_ids, wait_idle=service.rt.jobs.wait_idle)
        finally:
            now = time.perf_counter()
            typer.echo(f"{len(job_ids)} files ingested in {now - started:.1f} s ({now - uploading:.1f} s from the "
                       f"first upload; start-up {uploading - started:.1f} s)")
    finally:
        service.rt.close()


def reindex(kb: list[str] = typer.Option(None, "--kb", help="Knowledge base(s); default all"),
            server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Ingest every stored original again, e.g. into a new collection after changing the embedder."""
    remote = remote_service(server, api_key)
    if remote is not None:
        with remote:
            job_ids = {document["name"]: remote.reindex_document(document["id"])
                       for kb_id in remote.resolve_kbs(kb or None) for document in remote.documents(kb_id)}
            follow_jobs(remote.jobs, job_ids)
        return
    service = open_service()
    try:
        job_ids = {}
        for kb_id in service.resolve_kbs(kb or None):
            for document in service.rt.metadata.list_documents(kb_id):
                job_ids[document.name] = service.reindex_document(document.id)
        follow_jobs(service.rt.metadata.get_jobs, job_ids)
    finally:
        service.rt.close()


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(reindex)
