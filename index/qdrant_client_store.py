"""A Qdrant server (ZHIKU_QDRANT_URL), or qdrant-client's local mode, through qdrant-client.

Same schema and behaviour as the embedded edge store; tests run this class against local mode.
"""
from __future__ import annotations

import numpy as np
from qdrant_client import QdrantClient, models

from zhiku.core.errors import ConfigurationError
from zhiku.index.sparse_encoder import SparseVector
from zhiku.index.vector_store import (
    DENSE, EVERYONE, KEYWORD_INDEXES, SCHEMA_MARKER_ID, SPARSE, ChunkFilter, IndexPoint, ScoredChunk,
    embedder_mismatch_message,
)


class QdrantClientVectorStore:
    def __init__(self, client: QdrantClient, collection: str):
        self._client = client
        self._collection = collection

    @classmethod
    def for_server(cls, url: str, collection: str, api_key: str | None = None) -> "QdrantClientVectorStore":
        return cls(QdrantClient(url=url, api_key=api_key, timeout=30), collection)

    @classmethod
    def for_local_path(cls, path: str, collection: str) -> "QdrantClientVectorStore":
        return cls(QdrantClient(path=path), collection)

    def ensure_collection(self, dense_dim: int, embedder_id: str) -> None:
        if not self._client.collection_exists(self._collection):
            self._client.create_collection(
                self._collection,
                vectors_config={DENSE: models.VectorParams(size=dense_dim, distance=models.Distance.COSINE)},
                sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            )
            for key in KEYWORD_INDEXES:
                self._client.create_payload_index(
                    self._collection, key,
                    models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=key == "kb_id"),
                )
        found = self._client.retrieve(self._collection, [SCHEMA_MARKER_ID], with_payload=True)
        if found:
            built_with = (found[0].payload or {}).get("embedder_id")
            if built_with != embedder_id:
                raise ConfigurationError(embedder_mismatch_message(built_with, embedder_id))
            return
        self._client.upsert(self._collection, [models.PointStruct(
            id=SCHEMA_MARKER_ID, vector={DENSE: [0.0] * (dense_dim - 1) + [1.0]},
            payload={"embedder_id": embedder_id, "schema": 1})])

    def upsert(self, points: list[IndexPoint]) -> None:
        if not points:
            return
        self._client.upsert(self._collection, [
            models.PointStruct(
                id=p.point_id,
                vector={DENSE: p.dense.astype(np.float32).tolist(),
                        SPARSE: models.SparseVector(indices=p.sparse.indices, values=p.sparse.values)},
                payload=p.payload,
            )
            for p in points
        ], wait=True)

    def delete(self, chunk_filter: ChunkFilter) -> None:
        self._client.delete(self._collection, models.FilterSelector(filter=_to_filter(chunk_filter)), wait=True)

    def search_dense(self, vector: np.ndarray, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        return self._query(np.asarray(vector, dtype=np.float32).tolist(), DENSE, chunk_filter, limit)

    def search_sparse(self, vector: SparseVector, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        if not vector.indices:
            return []
        query = models.SparseVector(indices=vector.indices, values=vector.values)
        return self._query(query, SPARSE, chunk_filter, limit)

    def _query(self, query, using: str, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        result = self._client.query_points(self._collection, query=query, using=using,
                                           query_filter=_to_filter(chunk_filter), limit=limit, with_payload=True)
        return [ScoredChunk(str(p.id), float(p.score), dict(p.payload or {})) for p in result.points]

    def count(self, chunk_filter: ChunkFilter) -> int:
        return self._client.count(self._collection, count_filter=_to_filter(chunk_filter), exact=True).count

    def fetch(self, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        records, _next = self._client.scroll(self._collection, scroll_filter=_to_filter(chunk_filter), limit=limit,
                                             with_payload=True)
        return [ScoredChunk(str(r.id), 0.0, dict(r.payload or {})) for r in records]

    def optimize(self) -> None:
        """The server builds its indexes in the background."""

    def close(self) -> None:
        self._client.close()


def _to_filter(f: ChunkFilter) -> models.Filter:
    must = []
    must_not: list = [models.IsEmptyCondition(is_empty=models.PayloadField(key="kb_id"))]
    if f.kb_ids:
        must.append(models.FieldCondition(key="kb_id", match=models.MatchAny(any=list(f.kb_ids))))
    if f.document_ids:
        must.append(models.FieldCondition(key="document_id", match=models.MatchAny(any=list(f.document_ids))))
    if f.file_types:
        must.append(models.FieldCondition(key="file_type", match=models.MatchAny(any=list(f.file_types))))
    if f.principals is not None:
        must.append(models.FieldCondition(key="access_principals",
                                          match=models.MatchAny(any=[EVERYONE, *f.principals])))
    if f.version is not None:
        must.append(models.FieldCondition(key="version", match=models.MatchValue(value=f.version)))
    if f.exclude_version is not None:
        must_not.append(models.FieldCondition(key="version", match=models.MatchValue(value=f.exclude_version)))
    if f.point_ids is not None:
        must.append(models.HasIdCondition(has_id=list(f.point_ids)))
    return models.Filter(must=must or None, must_not=must_not)
