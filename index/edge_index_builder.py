"""Keeps the embedded engine's HNSW index built as the store grows, without ever blocking search or ingestion.

qdrant-edge builds its index in `optimize()`, which holds the Python interpreter for the whole build (measured:
no other thread of the process runs meanwhile; 100k chunks took 241 s here), so it cannot run in the process
that serves searches. Instead, when enough points are not in an HNSW graph yet, this builder has the store
copy its shard to a new folder (writes wait for the copy, reads never), optimises the copy in a child process
at low priority, and has the store adopt it once the writes made meanwhile are replayed onto it
(EdgeVectorStore.adopt_copy). The optimiser keeps existing HNSW segments and indexes only the new ones, so
each build costs about the points added since the last one.

    python -m zhiku.index.edge_index_builder <shard folder>    (the child: optimise the folder, then exit)
"""
from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from zhiku.index.edge_store import EdgeVectorStore

log = logging.getLogger(__name__)


@dataclass
class IndexBuild:
    points_before: int
    unindexed_before: int
    copy_seconds: float = 0.0
    build_seconds: float = 0.0
    adopt_seconds: float = 0.0
    succeeded: bool = False
    error: str = ""


@dataclass
class BackgroundIndexBuilder:
    store: EdgeVectorStore
    threshold: int = 20_000          # unindexed points that start a build
    check_seconds: float = 30.0
    nice: int = 10                   # the child yields the CPU to searches and ingestion
    builds: list[IndexBuild] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="edge-index-builder", daemon=True)
        self._child: subprocess.Popen | None = None
        self._building = threading.Lock()

    def start(self) -> "BackgroundIndexBuilder":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self.check_seconds):
            try:
                if self.store.unindexed_points() >= self.threshold:
                    self.build_now()
            except Exception:  # noqa: BLE001 - searching still works on the unindexed part; try again later
                log.exception("background index build failed")

    def build_now(self) -> IndexBuild:
        """One build cycle, in the calling thread (the loop's, or a benchmark's)."""
        with self._building:
            build = IndexBuild(self.store.info().points_count, self.store.unindexed_points())
            started = time.perf_counter()
            folder = self.store.begin_copy()
            build.copy_seconds = time.perf_counter() - started
            try:
                started = time.perf_counter()
                self._child = subprocess.Popen([sys.executable, "-m", "zhiku.index.edge_index_builder", str(folder)],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                               preexec_fn=lambda: _lower_priority(self.nice))
                _, stderr = self._child.communicate()
                build.build_seconds = time.perf_counter() - started
                if self._child.returncode != 0 or self._stop.is_set():
                    raise RuntimeError(f"the index build ended with {self._child.returncode}: "
                                       f"{stderr.decode(errors='replace')[-500:]}")
                started = time.perf_counter()
                self.store.adopt_copy(folder)
                build.adopt_seconds = time.perf_counter() - started
                build.succeeded = True
            except BaseException as exc:
                build.error = str(exc)
                self.store.abandon_copy(folder)
                if not isinstance(exc, Exception):
                    raise
            finally:
                self._child = None
                self.builds.append(build)
            log.info("vector index built: %s", build)
            return build


def _lower_priority(nice: int) -> None:
    import os

    os.nice(nice)


def optimise_folder(folder: Path) -> None:
    import qdrant_edge as qe

    shard = qe.EdgeShard.load(str(folder))
    try:
        shard.optimize()
        shard.flush()
    finally:
        shard.close()


if __name__ == "__main__":
    optimise_folder(Path(sys.argv[1]))
