"""What the command groups share: how an error ends a command, where a command runs (in this process, or on
the server that owns the data folder), following jobs."""
from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable
from typing import NoReturn, Optional

import typer
from tqdm import tqdm

from zhiku.core.errors import ZhikuError
from zhiku.core.settings import get_settings

SERVER_HELP = ("URL of a running Zhiku server to send this to (default: the `zhiku serve` that owns the data "
               "folder, found through <data_dir>/api-server.json; without one, the command runs in this process)")
API_KEY_HELP = "API key sent to the server as `Authorization: Bearer KEY`"


def server_option() -> Optional[str]:
    return typer.Option(None, "--server", envvar="ZHIKU_SERVER", help=SERVER_HELP, show_envvar=True)


def api_key_option() -> Optional[str]:
    return typer.Option(None, "--api-key", envvar="ZHIKU_API_KEY", help=API_KEY_HELP, show_envvar=True)


def fail(exc: ZhikuError) -> NoReturn:
    typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def reports_user_errors(command: Callable) -> Callable:
    """A condition the user can cause ends the command with one actionable line and exit code 2, never a
    traceback: a refusal (ZhikuError, e.g. the data folder held by another process), a file that cannot be
    read, or a server that cannot be reached."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ZhikuError as exc:
            fail(exc)
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            typer.secho(f"error: {exc.strerror}: {exc.filename}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from None

    wrapper.reports_user_errors = True
    return wrapper


def remote_service(server: Optional[str], api_key: Optional[str]):
    """The RemoteService for --server, or for the server that owns the data folder; None: run in process."""
    from zhiku.api.cli.remote import RemoteService
    from zhiku.api.cli.server_file import running_server

    url = server
    if not url:
        found = running_server(get_settings().data_dir)
        url = found.url if found else None
    return RemoteService(url, api_key) if url else None


def store_remote(command: str, server: Optional[str], api_key: Optional[str]):
    """For a command that opens the stores the server holds (the vector index, the graph): the RemoteService of
    --server or of the server that owns the data folder (None: none runs, run in process). Beside that server
    without an API key, one line says what to pass, instead of a refusal from the server or the store's lock."""
    from zhiku.api.cli.remote import RemoteService
    from zhiku.api.cli.server_file import running_server

    if server:
        return RemoteService(server, api_key)
    settings = get_settings()
    found = running_server(settings.data_dir)
    if found is None:
        return None
    if not api_key:
        typer.secho(f"error: the Zhiku server (pid {found.pid}, {found.url}) has the data folder {settings.data_dir} "
                    f"open, so `zhiku {command}` runs through it: pass an administrator's API key with --api-key KEY "
                    "(or ZHIKU_API_KEY; `zhiku keys create NAME --admin` makes one), or stop the server",
                    fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    return RemoteService(found.url, api_key)


def identity_remote(server: Optional[str], api_key: Optional[str]):
    """For the identity commands (users, keys, audit): the RemoteService of --server, or of the server that owns
    the data folder when an API key is given (the change is then made by the server and recorded under that key);
    None: work on the metadata database directly. The server shares that database with this process, so without a
    key the commands still work beside it, as the operator of the machine — which is how the first key is made."""
    from zhiku.api.cli.remote import RemoteService
    from zhiku.api.cli.server_file import running_server

    if server:
        return RemoteService(server, api_key)
    if not api_key:
        return None
    found = running_server(get_settings().data_dir)
    return RemoteService(found.url, api_key) if found else None


def open_service(warm_embedder: bool = False):
    """The knowledge service over this process's own runtime (the caller closes `service.rt`). `warm_embedder`:
    load the embedding model and the tokeniser's dictionary in a thread of their own while the stores open (the
    graph server's start, the migrations) and the files are stored, instead of inside the first job."""
    from zhiku.api.knowledge_service import KnowledgeService
    from zhiku.api.runtime import Runtime

    runtime = Runtime(get_settings())
    if warm_embedder:
        threading.Thread(target=_warm, args=(runtime,), name="embedder-warm-up", daemon=True).start()
    try:
        runtime.start()
    except BaseException:
        runtime.close()
        raise
    return KnowledgeService(runtime)


def _warm(runtime) -> None:
    try:
        runtime.sparse.tokenize("预热")  # jieba's dictionary (3.6% of the first job's thread in the profile)
        from zhiku.retrieval.constraint_match import question_entities

        question_entities("预热")  # jieba's part-of-speech tagger, read by the answer selector (2-4 s to load)
        runtime.embedder.inner.embed_passages(["预热"])
    except Exception:  # noqa: BLE001 - the first job loads them (and reports what is wrong)
        pass


def follow_jobs(fetch_jobs: Callable[[list[str]], Iterable], job_ids: dict[str, str],
                poll_seconds: float = 1.0, wait_idle: Callable[[float], bool] | None = None) -> None:
    """Show a progress bar until every job is done or failed; exit 1 if any failed. `fetch_jobs(ids)` returns
    the jobs that still exist (rows in process, JobOut over HTTP). One fetch per second for all unfinished
    jobs, and a redraw only when something changed: the loop must not compete with the embedder it is
    waiting for. `wait_idle(seconds)` (the in-process job runner's): waits instead of sleeping and returns True
    as soon as the runner has nothing left, so the last job is seen at once rather than up to a second later."""
    failed = 0
    names = {job_id: name for name, job_id in job_ids.items()}
    shown = ""
    with tqdm(total=len(job_ids), unit="file", desc="ingesting", mininterval=1.0) as files_bar:
        pending = set(job_ids.values())
        while pending:
            running = []
            jobs = list(fetch_jobs(sorted(pending)))
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
                if wait_idle is not None:
                    if wait_idle(poll_seconds):
                        wait_idle = None  # idle yet some job unfinished (deleted, retried): plain polling from now
                else:
                    time.sleep(poll_seconds)
    if failed:
        raise typer.Exit(1)
