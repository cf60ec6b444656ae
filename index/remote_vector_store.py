"""The embedded vector store used from a process that does not own it: every call goes to the owner
(index/vector_store_owner.py) over loopback. Same interface and results as the owner's own store."""
from __future__ import annotations

import base64
from pathlib import Path

import httpx
import numpy as np

from zhiku.core.errors import ConfigurationError
from zhiku.index.sparse_encoder import SparseVector
from zhiku.index.vector_store import ChunkFilter, IndexPoint, ScoredChunk
from zhiku.index.vector_store_owner import (
    TOKEN_HEADER, OwnerInfo, decode_scored, encode_filter, encode_points, read_owner,
)


class RemoteVectorStore:
    def __init__(self, shard: Path, owner: OwnerInfo, timeout: float = 120):
        self._shard = shard
        self._owner = owner
        self._http = httpx.Client(timeout=timeout)

    def _call(self, operation: str, body: dict):
        for attempt in range(2):
            try:
                response = self._http.post(f"{self._owner.url}/{operation}", json=body,
                                           headers={TOKEN_HEADER: self._owner.token})
                break
            except httpx.TransportError as exc:
                owner = read_owner(self._shard)  # the owner may have restarted on another port
                if attempt or owner is None or owner == self._owner:
                    raise ConfigurationError(
                        f"the process that owns the embedded vector store in {self._shard} (pid {self._owner.pid}) "
                        f"does not answer ({exc}); start the API again, or use a Qdrant server "
                        "(ZHIKU_QDRANT_URL)") from exc
                self._owner = owner
        if response.status_code != 200:
            raise RuntimeError(f"vector store owner: {operation} failed: {response.json().get('error')}")
        return response.json()["result"]

    def ensure_collection(self, dense_dim: int, embedder_id: str) -> None:
        self._call("ensure_collection", {"dense_dim": dense_dim, "embedder_id": embedder_id})

    def upsert(self, points: list[IndexPoint]) -> None:
        if points:
            self._call("upsert", {"points": encode_points(points)})

    def delete(self, chunk_filter: ChunkFilter) -> None:
        self._call("delete", {"filter": encode_filter(chunk_filter)})

    def search_dense(self, vector: np.ndarray, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        encoded = base64.b64encode(np.asarray(vector, dtype=np.float32).tobytes()).decode()
        return decode_scored(self._call("search_dense", {"vector": encoded, "filter": encode_filter(chunk_filter),
                                                         "limit": limit}))

    def search_sparse(self, vector: SparseVector, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        if not vector.indices:
            return []
        return decode_scored(self._call("search_sparse", {"vector": [list(vector.indices), list(vector.values)],
                                                          "filter": encode_filter(chunk_filter), "limit": limit}))

    def set_access(self, document_id: str, principals: list[str]) -> None:
        self._call("set_access", {"document_id": document_id, "principals": list(principals)})

    def count(self, chunk_filter: ChunkFilter) -> int:
        return self._call("count", {"filter": encode_filter(chunk_filter)})

    def fetch(self, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        return decode_scored(self._call("fetch", {"filter": encode_filter(chunk_filter), "limit": limit}))

    def optimize(self) -> None:
        self._call("optimize", {})

    def close(self) -> None:
        self._http.close()
