"""An OpenAI-compatible /embeddings endpoint (vLLM, text-embeddings-inference, a hosted API)."""
from __future__ import annotations

import httpx
import numpy as np

from core.errors import ConfigurationError
from index.embedder import l2_normalise


class OpenAIEmbedder:
    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 60.0):
        if not base_url or not model:
            raise ConfigurationError(
                "embedder=openai needs ZHIKU_OPENAI_EMBEDDINGS_URL and ZHIKU_OPENAI_EMBEDDINGS_MODEL"
            )
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)
        self._model = model
        self._dimension: int | None = None

    @property
    def model_id(self) -> str:
        return f"openai:{self._model}"

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.embed_passages(["dimension probe"]).shape[1])
        return self._dimension

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        response = self._client.post("/embeddings", json={"model": self._model, "input": list(texts)})
        response.raise_for_status()
        rows = sorted(response.json()["data"], key=lambda row: row["index"])
        vectors = l2_normalise(np.array([row["embedding"] for row in rows], dtype=np.float32))
        self._dimension = vectors.shape[1]
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]
