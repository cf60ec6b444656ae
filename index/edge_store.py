"""The embedded engine: Qdrant's own engine in-process (qdrant-edge), HNSW + sparse + payload indexes."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import qdrant_edge as qe

from zhiku.core.errors import ConfigurationError
from zhiku.index.sparse_encoder import SparseVector
from zhiku.index.vector_store import (
    DENSE, EVERYONE, KEYWORD_INDEXES, SCHEMA_MARKER_ID, SPARSE, ChunkFilter, IndexPoint, ScoredChunk,
    embedder_mismatch_message,
)


class EdgeStoreLocked(ConfigurationError):
    """Another process has the shard open (qdrant-edge allows one)."""


class EdgeVectorStore:
    def __init__(self, path: Path):
        self._path = Path(path)
        self._shard: qe.EdgeShard | None = None
        # One writer at a time; the engine itself is safe for concurrent reads but serialising keeps
        # an upsert batch and a delete-by-version atomic with respect to each other.
        self._lock = threading.RLock()

    def ensure_collection(self, dense_dim: int, embedder_id: str) -> None:
        with self._lock:
            if self._shard is not None:
                return
            has_data = self._path.exists() and any(self._path.iterdir())
            try:
                if has_data:
                    self._shard = qe.EdgeShard.load(str(self._path))
                else:
                    self._shard = qe.EdgeShard.create(str(self._path), self._config(dense_dim))
                    for key in KEYWORD_INDEXES:
                        self._shard.update(qe.UpdateOperation.create_field_index(key, qe.PayloadSchemaType.Keyword))
            except Exception as exc:  # the engine raises plain RuntimeErrors
                if "WouldBlock" in str(exc):
                    raise EdgeStoreLocked(
                        f"The embedded vector store at {self._path} is open in another process. Stop the "
                        "other Zhiku process (serve, ingest or eval) or use a Qdrant server (ZHIKU_QDRANT_URL)."
                    ) from exc
                raise
            self._check_marker(dense_dim, embedder_id)

    @staticmethod
    def _config(dense_dim: int) -> qe.EdgeConfig:
        return qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=dense_dim, distance=qe.Distance.Cosine)},
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        )

    def _check_marker(self, dense_dim: int, embedder_id: str) -> None:
        found = self._shard.retrieve([SCHEMA_MARKER_ID], with_payload=True, with_vector=False)
        if found:
            built_with = (found[0].payload or {}).get("embedder_id")
            if built_with != embedder_id:
                raise ConfigurationError(embedder_mismatch_message(built_with, embedder_id))
            return
        # The marker has a zero-weight sparse vector only, and no kb_id, so no search can return it.
        marker = qe.Point(SCHEMA_MARKER_ID, {DENSE: [0.0] * (dense_dim - 1) + [1.0]},
                          {"embedder_id": embedder_id, "schema": 1})
        self._shard.update(qe.UpdateOperation.upsert_points([marker]))

    @property
    def shard(self) -> qe.EdgeShard:
        if self._shard is None:
            raise RuntimeError("ensure_collection() must be called first")
        return self._shard

    def upsert(self, points: list[IndexPoint]) -> None:
        if not points:
            return
        edge_points = [
            qe.Point(p.point_id, {DENSE: p.dense.astype(np.float32).tolist(),
                                  SPARSE: qe.SparseVector(p.sparse.indices, p.sparse.values)}, p.payload)
            for p in points
        ]
        with self._lock:
            self.shard.update(qe.UpdateOperation.upsert_points(edge_points))

    def delete(self, chunk_filter: ChunkFilter) -> None:
        with self._lock:
            self.shard.update(qe.UpdateOperation.delete_points_by_filter(_to_filter(chunk_filter)))

    def search_dense(self, vector: np.ndarray, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        query = qe.Query.Nearest(np.asarray(vector, dtype=np.float32).tolist(), using=DENSE)
        return self._query(query, chunk_filter, limit)

    def search_sparse(self, vector: SparseVector, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        if not vector.indices:
            return []
        query = qe.Query.Nearest(qe.SparseVector(vector.indices, vector.values), using=SPARSE)
        return self._query(query, chunk_filter, limit)

    def _query(self, query, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        request = qe.QueryRequest(limit=limit, query=query, filter=_to_filter(chunk_filter), with_payload=True)
        with self._lock:
            points = self.shard.query(request)
        return [ScoredChunk(str(p.id), float(p.score), dict(p.payload or {})) for p in points]

    def count(self, chunk_filter: ChunkFilter) -> int:
        with self._lock:
            return self.shard.count(qe.CountRequest(exact=True, filter=_to_filter(chunk_filter)))

    def fetch(self, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        request = qe.ScrollRequest(limit=limit, filter=_to_filter(chunk_filter), with_payload=True)
        with self._lock:
            records, _next = self.shard.scroll(request)
        return [ScoredChunk(str(r.id), 0.0, dict(r.payload or {})) for r in records]

    def optimize(self) -> None:
        with self._lock:
            self.shard.optimize()

    def close(self) -> None:
        with self._lock:
            if self._shard is not None:
                self._shard.flush()
                self._shard.close()
                self._shard = None


def _to_filter(f: ChunkFilter) -> qe.Filter:
    # Every real chunk has a kb_id; requiring one keeps the schema marker out of every result.
    must: list = [qe.FieldCondition(key="kb_id", is_empty=False)]
    must_not: list = []
    if f.kb_ids:
        must.append(qe.FieldCondition(key="kb_id", match=qe.MatchAny(list(f.kb_ids))))
    if f.document_ids:
        must.append(qe.FieldCondition(key="document_id", match=qe.MatchAny(list(f.document_ids))))
    if f.file_types:
        must.append(qe.FieldCondition(key="file_type", match=qe.MatchAny(list(f.file_types))))
    if f.principals is not None:
        must.append(qe.FieldCondition(key="access_principals", match=qe.MatchAny([EVERYONE, *f.principals])))
    if f.version is not None:
        must.append(qe.FieldCondition(key="version", match=qe.MatchValue(f.version)))
    if f.exclude_version is not None:
        must_not.append(qe.FieldCondition(key="version", match=qe.MatchValue(f.exclude_version)))
    if f.point_ids is not None:
        must.append(qe.HasIdCondition(set(f.point_ids)))
    return qe.Filter(must=must, must_not=must_not or None)
