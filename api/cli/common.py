"""What the command groups share: how an error ends a command, the in-process service, following jobs."""
from __future__ import annotations

import time
from typing import NoReturn

import typer
from tqdm import tqdm

from zhiku.core.errors import ZhikuError
from zhiku.core.settings import get_settings


def fail(exc: ZhikuError) -> NoReturn:
    typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def open_service():
    """The knowledge service over this process's own runtime (the caller closes `service.rt`)."""
    from zhiku.api.knowledge_service import KnowledgeService
    from zhiku.api.runtime import Runtime

    runtime = Runtime(get_settings())
    runtime.start()
    return KnowledgeService(runtime)


def follow_jobs(service, job_ids: dict[str, str], poll_seconds: float = 1.0) -> None:
    """Show a progress bar until every job is done or failed; exit 1 if any failed. One query per second for
    all unfinished jobs, and a redraw only when something changed: the loop must not compete with the
    embedder it is waiting for."""
    failed = 0
    names = {job_id: name for name, job_id in job_ids.items()}
    shown = ""
    with tqdm(total=len(job_ids), unit="file", desc="ingesting", mininterval=1.0) as files_bar:
        pending = set(job_ids.values())
        while pending:
            running = []
            jobs = service.rt.metadata.get_jobs(sorted(pending))
            for gone in pending - {job.id for job in jobs}:  # its document was deleted meanwhile
                pending.discard(gone)
                files_bar.update(1)
                tqdm.write(f"{names[gone]}: deleted before it was ingested")
            for job in jobs:
                if job.status in ("done", "failed"):
                    pending.discard(job.id)
                    files_bar.update(1)
                    if job.status == "failed":
                        failed += 1
                        tqdm.write(f"{names[job.id]}: failed: {job.error}")
                    else:
                        tqdm.write(f"{names[job.id]}: {job.detail}")
                elif job.status == "processing":
                    running.append(f"{names[job.id]}: {job.stage} {job.progress:.0%} {job.detail}")
            status = "; ".join(running)
            if status != shown:
                files_bar.set_postfix_str(status, refresh=False)
                shown = status
            if pending:
                time.sleep(poll_seconds)
    if failed:
        raise typer.Exit(1)
