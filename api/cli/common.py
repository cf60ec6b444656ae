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


def follow_jobs(service, job_ids: dict[str, str]) -> None:
    """Show a progress bar until every job is done or failed; exit 1 if any failed."""
    failed = 0
    with tqdm(total=len(job_ids), unit="file", desc="ingesting") as files_bar:
        pending = dict(job_ids)
        while pending:
            for name, job_id in list(pending.items()):
                job = service.rt.metadata.get_job(job_id)
                if job.status in ("done", "failed"):
                    del pending[name]
                    files_bar.update(1)
                    if job.status == "failed":
                        failed += 1
                        tqdm.write(f"{name}: failed: {job.error}")
                    else:
                        tqdm.write(f"{name}: {job.detail}")
                else:
                    files_bar.set_postfix_str(f"{name}: {job.stage} {job.progress:.0%} {job.detail}")
            time.sleep(0.2)
    if failed:
        raise typer.Exit(1)
