"""An OpenAI-compatible /embeddings endpoint (vLLM, text-embeddings-inference, a hosted API)."""
from __future__ import annotations

import hashlib

import httpx
import numpy as np

from zhiku.core.errors import ConfigurationError, EmbeddingServiceError
from zhiku.index.embedder import l2_normalise


class OpenAIEmbedder:
    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 60.0,
                 query_prefix: str = "", passage_prefix: str = "", send_input_type: bool = False):
        if not base_url or not model:
            raise ConfigurationError(
                "embedder=openai needs ZHIKU_OPENAI_EMBEDDINGS_URL and ZHIKU_OPENAI_EMBEDDINGS_MODEL"
            )
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)
        self._model = model
        self._query_prefix, self._passage_prefix = query_prefix, passage_prefix
        self._send_input_type = send_input_type
        self._dimension: int | None = None

    @property
    def model_id(self) -> str:
        # Prefixes and input types change the vectors: they are part of the cache key.
        variant = f"{self._query_prefix}|{self._passage_prefix}|{self._send_input_type}"
        return f"openai:{self._model}:{hashlib.sha256(variant.encode()).hexdigest()[:8]}"

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.embed_passages(["dimension probe"]).shape[1])
        return self._dimension

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._embed([self._passage_prefix + t for t in texts], "passage")

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([self._query_prefix + text], "query")[0]

    def _embed(self, texts: list[str], input_type: str) -> np.ndarray:
        body: dict = {"model": self._model, "input": texts}
        if self._send_input_type:
            body["input_type"] = input_type
        try:
            response = self._client.post("/embeddings", json=body)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise EmbeddingServiceError(f"the embeddings endpoint {self._client.base_url} failed: {exc}") from exc
        rows = sorted(response.json()["data"], key=lambda row: row["index"])
        vectors = l2_normalise(np.array([row["embedding"] for row in rows], dtype=np.float32))
        self._dimension = vectors.shape[1]
        return vectors
