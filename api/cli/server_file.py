"""<data_dir>/api-server.json: how the other `zhiku` commands find a `zhiku serve` that owns the data folder.

`zhiku serve` writes it once the server listens (pid, port, url) and removes it when it exits. A file whose
process is gone (the server was killed) is stale: it is ignored, and removed by the next server that starts.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "api-server.json"


@dataclass(frozen=True)
class RunningServer:
    pid: int
    port: int
    url: str


def server_file(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def write_server_file(data_dir: Path, port: int, url: str) -> Path:
    path = server_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(RunningServer(os.getpid(), port, url))), encoding="utf-8")
    tmp.replace(path)  # readers never see half a file
    return path


def remove_server_file(data_dir: Path) -> None:
    """Remove the file if it is this process's (a second server that failed to start must not remove the
    first one's)."""
    path = server_file(data_dir)
    found = _read(path)
    if found is not None and found.pid == os.getpid():
        path.unlink(missing_ok=True)


def _read(path: Path) -> RunningServer | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RunningServer(int(data["pid"]), int(data["port"]), str(data["url"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_server(data_dir: Path) -> RunningServer | None:
    """The server that owns `data_dir`, or None when there is none (no file, an unreadable one, or a stale one
    whose process is gone)."""
    found = _read(server_file(data_dir))
    if found is None or not _pid_alive(found.pid):
        return None
    return found
