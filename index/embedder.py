"""The dense-embedding interface every model family implements."""
from __future__ import annotations

from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors. Implementations load their model lazily."""

    @property
    def model_id(self) -> str:
        """Stable identifier of model + weights; keys the embedding cache and the collection check."""
        ...

    @property
    def dimension(self) -> int: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors for texts to be indexed, shape (len(texts), dimension)."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Vector for a search query, shape (dimension,)."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
