"""A sentence-transformers CrossEncoder from a local folder (production: bge-reranker-v2-m3)."""
from __future__ import annotations

import threading
from pathlib import Path

from zhiku.core.errors import ConfigurationError
from zhiku.retrieval.reranker import RerankCandidate


class CrossEncoderReranker:
    name = "cross-encoder"

    def __init__(self, model_path: str, threads: int = 2, max_length: int = 512):
        if not Path(model_path).is_dir():
            raise ConfigurationError(
                f"ZHIKU_RERANKER_MODEL_PATH={model_path!r} is not a folder. Point it at a local CrossEncoder "
                "model (e.g. a copy of bge-reranker-v2-m3); models are never downloaded."
            )
        self._path, self._threads, self._max_length = model_path, threads, max_length
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            try:
                import torch
                from sentence_transformers import CrossEncoder
            except ImportError as exc:
                raise ConfigurationError(
                    "reranker=cross-encoder needs the optional extra: pip install 'zhiku[models]' "
                    "(after pip install torch==2.13.0)"
                ) from exc
            torch.set_num_threads(self._threads)
            self._model = CrossEncoder(self._path, device="cpu", max_length=self._max_length,
                                       local_files_only=True)
        return self._model

    def score(self, query: str, candidates: list[RerankCandidate]) -> list[float]:
        if not candidates:
            return []
        with self._lock:
            scores = self._load().predict([(query, c.text) for c in candidates], show_progress_bar=False)
        return [float(s) for s in scores]
