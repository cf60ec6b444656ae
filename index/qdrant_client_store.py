"""A Qdrant server (ZHIKU_QDRANT_URL), or qdrant-client's local mode, through qdrant-client.

Same schema and behaviour as the embedded edge store; tests run this class against local mode.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qdrant_client import QdrantClient, models

from zhiku.core.errors import ConfigurationError
from zhiku.index.sparse_encoder import SparseVector
from zhiku.index.vector_store import (
    DENSE, EVERYONE, KEYWORD_INDEXES, SCHEMA_MARKER_ID, SPARSE, ChunkFilter, IndexPoint, ScoredChunk,
    embedder_mismatch_message,
)


@dataclass(frozen=True)
class CollectionLayout:
    """How a new collection is laid out on a server or cluster (docs/deployment.md has the sizing)."""

    shard_number: int = 1
    replication_factor: int = 1
    write_consistency_factor: int = 1
    on_disk: bool = False


class QdrantClientVectorStore:
    def __init__(self, client: QdrantClient, collection: str, layout: CollectionLayout | None = None):
        self._client = client
        self._collection = collection
        self._layout = layout or CollectionLayout()

    @classmethod
    def for_server(cls, url: str, collection: str, api_key: str | None = None,
                   layout: CollectionLayout | None = None) -> "QdrantClientVectorStore":
        return cls(QdrantClient(url=url, api_key=api_key, timeout=30), collection, layout)

    @classmethod
    def for_local_path(cls, path: str, collection: str) -> "QdrantClientVectorStore":
        return cls(QdrantClient(path=path), collection)

    def ensure_collection(self, dense_dim: int, embedder_id: str) -> None:
        if not self._client.collection_exists(self._collection):
            layout = self._layout
            self._client.create_collection(
                self._collection,
                vectors_config={DENSE: models.VectorParams(size=dense_dim, distance=models.Distance.COSINE,
                                                           on_disk=layout.on_disk or None)},
                sparse_vectors_config={SPARSE: models.SparseVectorParams(
                    modifier=models.Modifier.IDF, index=models.SparseIndexParams(on_disk=layout.on_disk or None))},
                shard_number=layout.shard_number, replication_factor=layout.replication_factor,
                write_consistency_factor=layout.write_consistency_factor,
                # Tenant-aware HNSW: with kb_id as the tenant key, per-tenant links are built so a filtered
                # search inside one knowledge base stays a graph search, not a scan.
                hnsw_config=models.HnswConfigDiff(payload_m=16, on_disk=layout.on_disk or None),
                on_disk_payload=True,
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

    def set_access(self, document_id: str, principals: list[str]) -> None:
        self._client.set_payload(self._collection, {"access_principals": list(principals)},
                                 points=_to_filter(ChunkFilter(document_ids=[document_id])), wait=True)

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
    should: list = []
    if f.principals is not None:
        readable = models.FieldCondition(key="access_principals", match=models.MatchAny(any=[EVERYONE, *f.principals]))
        if f.full_access_kb_ids:  # the only `should` of the filter: at least one of the two holds
            should = [readable, models.FieldCondition(key="kb_id", match=models.MatchAny(any=list(f.full_access_kb_ids)))]
        else:
            must.append(readable)
    if f.version is not None:
        must.append(models.FieldCondition(key="version", match=models.MatchValue(value=f.version)))
    if f.exclude_version is not None:
        must_not.append(models.FieldCondition(key="version", match=models.MatchValue(value=f.exclude_version)))
    if f.point_ids is not None:
        must.append(models.HasIdCondition(has_id=list(f.point_ids)))
    return models.Filter(must=must or None, should=should or None, must_not=must_not)
