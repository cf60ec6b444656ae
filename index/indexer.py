"""Chunks → dense + sparse vectors → points in the vector store, with provenance in the payload."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from zhiku.core.types import Chunk
from zhiku.index.chunk_terms import encode_chunk
from zhiku.index.embedding_cache import CachingEmbedder
from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.index.vector_store import ChunkFilter, IndexPoint, VectorStore

_POINT_NAMESPACE = uuid.UUID("6f1c2d4e-8a5b-4c3d-9e7f-0a1b2c3d4e5f")
UPSERT_BATCH = 64


def point_id(document_id: str, version: str, chunk_index: int) -> str:
    """Deterministic, so re-running a job after a crash overwrites instead of duplicating."""
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{document_id}:{version}:{chunk_index}"))


@dataclass(slots=True)
class DocumentRef:
    kb_id: str
    document_id: str
    version: str
    name: str
    file_type: str
    access_principals: list[str]


class Indexer:
    def __init__(self, store: VectorStore, embedder: CachingEmbedder, sparse: SparseEncoder):
        self.store = store
        self.embedder = embedder
        self.sparse = sparse

    def index(self, doc: DocumentRef, chunks: list[Chunk],
              on_progress: Callable[[int, int], None] | None = None) -> int:
        """Write the chunks of one document version. Returns the number of points written.

        The caller makes the version live (deleting older versions) only after this returns, so a
        failure part-way leaves the previous version searchable and this one removable by `discard`.
        """
        return self.index_many([(doc, chunks)], on_progress)

    def index_many(self, documents: list[tuple[DocumentRef, list[Chunk]]],
                   on_progress: Callable[[int, int], None] | None = None) -> int:
        """Several documents in one embedding pass (bulk loads and evaluation corpora)."""
        items = [(doc, chunk) for doc, chunks in documents for chunk in chunks]
        vectors = self.embedder.embed_passages([c.embedding_text for _, c in items], on_progress=on_progress)
        points = []
        for i, (doc, c) in enumerate(items):
            # one tokenisation gives the sparse vector and the terms kept for the second stage
            sparse, terms = encode_chunk(self.sparse, c.embedding_text, c.text)
            points.append(IndexPoint(point_id(doc.document_id, doc.version, c.index), vectors[i], sparse,
                                     {**self._payload(doc, c), **terms}))
        for start in range(0, len(points), UPSERT_BATCH):
            self.store.upsert(points[start:start + UPSERT_BATCH])
        return len(points)

    def make_live(self, doc: DocumentRef) -> None:
        """Drop every other version of the document, leaving exactly `doc.version`."""
        self.store.delete(ChunkFilter(document_ids=[doc.document_id], exclude_version=doc.version))

    def discard(self, document_id: str, version: str) -> None:
        self.store.delete(ChunkFilter(document_ids=[document_id], version=version))

    def remove_document(self, document_id: str) -> None:
        self.store.delete(ChunkFilter(document_ids=[document_id]))

    @staticmethod
    def _payload(doc: DocumentRef, chunk: Chunk) -> dict:
        return {
            "kb_id": doc.kb_id,
            "document_id": doc.document_id,
            "version": doc.version,
            "document_name": doc.name,
            "file_type": doc.file_type,
            "access_principals": list(doc.access_principals),
            "chunk_index": chunk.index,
            "text": chunk.text,
            "parent_id": f"{doc.document_id}:{doc.version}:{chunk.parent_id}" if chunk.parent_id else None,
            "parent_text": chunk.parent_text,
            "page": chunk.page,
            "page_end": chunk.page_end,
            "heading_path": chunk.heading_path,
            "char_start": chunk.char_start,
            "char_end": chunk.char_end,
            "bbox": list(chunk.bbox) if chunk.bbox else None,
            "start_s": chunk.start_s,
            "end_s": chunk.end_s,
            "time_spans": [list(span) for span in chunk.time_spans] or None,
            "guardrail_flags": chunk.guardrail_flags,
        }
