"""Any sentence-transformers model from a local folder (production: bge-base-zh-v1.5)."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from zhiku.core.errors import ConfigurationError
from zhiku.index.embedder import l2_normalise


class SentenceTransformerEmbedder:
    def __init__(self, model_path: str, query_prefix: str = "", passage_prefix: str = "", threads: int = 2):
        path = Path(model_path)
        if not path.is_dir():
            raise ConfigurationError(
                f"ZHIKU_EMBEDDER_MODEL_PATH={model_path!r} is not a folder. Point it at a local "
                "sentence-transformers model (e.g. a copy of bge-base-zh-v1.5); models are never downloaded."
            )
        self._path = path
        self._query_prefix, self._passage_prefix = query_prefix, passage_prefix
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"st:{self._path.resolve().name}"

    @property
    def dimension(self) -> int:
        model = self._load()
        # sentence-transformers 5 renamed the method; keep working with 3.x and 4.x too.
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(dimension())

    def _load(self):
        if self._model is None:
            try:
                import torch
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ConfigurationError(
                    "embedder=sentence-transformers needs the optional extra: "
                    "pip install 'zhiku[models]' (after pip install torch==2.13.0)"
                ) from exc
            torch.set_num_threads(self._threads)
            self._model = SentenceTransformer(str(self._path), device="cpu", local_files_only=True)
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            return l2_normalise(self._load().encode([self._passage_prefix + t for t in texts],
                                                    normalize_embeddings=True))

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return l2_normalise(self._load().encode([self._query_prefix + text], normalize_embeddings=True)[0])
