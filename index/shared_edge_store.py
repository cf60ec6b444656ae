"""The embedded engine as every process of one machine sees it: the first process to open the shard owns it
and shares it (VectorStoreHost); the others use it through the owner (RemoteVectorStore)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from zhiku.core.errors import ConfigurationError
from zhiku.index.edge_index_builder import BackgroundIndexBuilder
from zhiku.index.edge_store import EdgeStoreLocked, EdgeVectorStore, HnswSettings
from zhiku.index.remote_vector_store import RemoteVectorStore
from zhiku.index.sparse_encoder import SparseVector
from zhiku.index.vector_store import ChunkFilter, IndexPoint, ScoredChunk, VectorStore
from zhiku.index.vector_store_owner import VectorStoreHost, read_owner


class SharedEdgeStore:
    def __init__(self, shard: Path, may_own: bool = True, index_threshold: int = 0, hnsw: HnswSettings | None = None):
        """`may_own=False` for processes that come and go (workers): if one of them owned the shard, killing it
        would take the store away from everyone else. `index_threshold`: the owner keeps the HNSW index built
        in the background once this many points are not in it (0: never; index/edge_index_builder.py)."""
        self._shard = Path(shard)
        self._may_own = may_own
        self._index_threshold = index_threshold
        self._hnsw = hnsw
        self._inner: VectorStore | None = None
        self._host: VectorStoreHost | None = None
        self._builder: BackgroundIndexBuilder | None = None

    @property
    def owner(self) -> bool:
        return self._host is not None

    def ensure_collection(self, dense_dim: int, embedder_id: str) -> None:
        if self._inner is None:
            self._inner = self._open(dense_dim, embedder_id)
        self._inner.ensure_collection(dense_dim, embedder_id)

    def _open(self, dense_dim: int, embedder_id: str) -> VectorStore:
        owner = read_owner(self._shard)
        if owner is None and self._may_own:
            local = EdgeVectorStore(self._shard, hnsw=self._hnsw)
            try:
                local.ensure_collection(dense_dim, embedder_id)
            except EdgeStoreLocked:
                owner = read_owner(self._shard)  # the owner has just opened it: wait for its file below
            else:
                self._host = VectorStoreHost(local, self._shard).start()
                if self._index_threshold:
                    self._builder = BackgroundIndexBuilder(local, threshold=self._index_threshold).start()
                return local
        if owner is None:
            raise ConfigurationError(
                f"The embedded vector store at {self._shard} is not open in any Zhiku API process. Start the API "
                "first (it owns the embedded store and shares it with workers and the CLI), or use a Qdrant server "
                "(ZHIKU_QDRANT_URL).")
        return RemoteVectorStore(self._shard, owner)

    @property
    def inner(self) -> VectorStore:
        if self._inner is None:
            raise RuntimeError("ensure_collection() must be called first")
        return self._inner

    def upsert(self, points: list[IndexPoint]) -> None:
        self.inner.upsert(points)

    def delete(self, chunk_filter: ChunkFilter) -> None:
        self.inner.delete(chunk_filter)

    def search_dense(self, vector: np.ndarray, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        return self.inner.search_dense(vector, chunk_filter, limit)

    def search_sparse(self, vector: SparseVector, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        return self.inner.search_sparse(vector, chunk_filter, limit)

    def set_access(self, document_id: str, principals: list[str]) -> None:
        self.inner.set_access(document_id, principals)

    def count(self, chunk_filter: ChunkFilter) -> int:
        return self.inner.count(chunk_filter)

    def fetch(self, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        return self.inner.fetch(chunk_filter, limit)

    def optimize(self) -> None:
        self.inner.optimize()

    def close(self) -> None:
        if self._builder is not None:
            self._builder.stop()
            self._builder = None
        if self._host is not None:
            self._host.close()
            self._host = None
        if self._inner is not None:
            self._inner.close()
            self._inner = None
