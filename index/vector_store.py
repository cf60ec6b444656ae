"""The one collection schema, and the store interface both Qdrant backends implement.

Schema (same for the embedded engine and a Qdrant server):
- named dense vector `dense` (cosine, dimension of the embedder),
- named sparse vector `sparse` with the IDF modifier (BM25),
- payload indexes: kb_id (tenant), document_id, version, access_principals, file_type,
- payload: chunk text, parent text, provenance (document name, page, page_end, heading path,
  character span, bbox), `access_principals` (who may see the chunk; "*" = everyone), and `terms` /
  `terms_by`: the text's jieba terms, space-joined, and the tokenizer that made them (index/chunk_terms.py;
  the second stage reads them instead of tokenising; points written before have none and are tokenised).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from zhiku.index.sparse_encoder import SparseVector

DENSE = "dense"
SPARSE = "sparse"
KEYWORD_INDEXES = ("kb_id", "document_id", "version", "access_principals", "file_type")
EVERYONE = "*"
SCHEMA_MARKER_ID = "00000000-0000-0000-0000-000000000000"  # holds the embedder id the collection was built with


@dataclass(slots=True)
class ChunkFilter:
    """Conditions all results must meet. Empty lists mean "no restriction" except principals:
    `principals=None` skips access checks (internal callers), a list restricts to chunks visible to
    any of them or to everyone, except in `full_access_kb_ids` (knowledge bases the caller administers,
    whose every chunk it reads). `readable_document_ids` is the same access as document ids, for the
    knowledge graph, which has no principals (None: unrestricted); the vector stores use the principals."""

    kb_ids: list[str] = field(default_factory=list)
    document_ids: list[str] = field(default_factory=list)
    file_types: list[str] = field(default_factory=list)
    principals: list[str] | None = None
    version: str | None = None
    exclude_version: str | None = None
    point_ids: list[str] | None = None  # only these points (graph expansion scores its chunks this way)
    full_access_kb_ids: list[str] = field(default_factory=list)
    readable_document_ids: list[str] | None = None


@dataclass(slots=True)
class IndexPoint:
    point_id: str
    dense: np.ndarray
    sparse: SparseVector
    payload: dict[str, Any]


@dataclass(slots=True)
class ScoredChunk:
    point_id: str
    score: float
    payload: dict[str, Any]


class VectorStore(Protocol):
    def ensure_collection(self, dense_dim: int, embedder_id: str) -> None:
        """Create the collection if missing; fail clearly if it was built with another embedder."""
        ...

    def upsert(self, points: list[IndexPoint]) -> None: ...

    def delete(self, chunk_filter: ChunkFilter) -> None: ...

    def search_dense(self, vector: np.ndarray, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]: ...

    def search_sparse(self, vector: SparseVector, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]: ...

    def count(self, chunk_filter: ChunkFilter) -> int: ...

    def set_access(self, document_id: str, principals: list[str]) -> None:
        """Re-stamp who may read the document on all its chunks, in place (no re-embedding)."""
        ...

    def fetch(self, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        """Up to `limit` points that meet the filter, unranked (score 0), with payload: chunks by id."""
        ...

    def optimize(self) -> None:
        """Build indexes after bulk writes (the embedded engine); a no-op where the server does it."""
        ...

    def close(self) -> None: ...


def embedder_mismatch_message(found: str, wanted: str) -> str:
    return (
        f"The vector collection was built with embedder {found!r} but Zhiku is configured with {wanted!r}. "
        "Vectors from different models cannot be mixed: set ZHIKU_EMBEDDER back, or point "
        "ZHIKU_QDRANT_COLLECTION at a new collection and re-index (`zhiku reindex`)."
    )
