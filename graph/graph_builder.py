"""The ingestion job's graph stage: a live document version's chunks → extracted, resolved facts in the store.

A chunk is known to the graph by its vector-store point id, so every fact's provenance leads straight to
the chunks retrieval returns (and access control filters).
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from neo4j.exceptions import Neo4jError

from zhiku.core.types import Chunk
from zhiku.graph.extraction.credit_roles import CreditRoleExtractor, merge_extractions
from zhiku.graph.extraction.chunk_extractor import ChunkExtractor
from zhiku.graph.extraction.entity_resolution import EntityResolver
from zhiku.graph.extraction.rule_extractor import RuleExtractor, money_unit_of
from zhiku.graph.graph_store import ChunkFacts, GraphStore
from zhiku.index.indexer import DocumentRef, point_id

WRITE_BATCH = 200  # chunks per transaction: large documents are written in bounded pieces
WRITE_ATTEMPTS = 4


@dataclass(slots=True)
class GraphBuildResult:
    chunks: int
    entities: int
    relations: int


class GraphBuilder:
    def __init__(self, store: GraphStore, extractor: ChunkExtractor, resolver_for_kb: Callable[[str], EntityResolver]):
        self.store = store
        self.extractor = extractor
        self.resolver_for_kb = resolver_for_kb
        self.credit_roles = CreditRoleExtractor()  # roles and forms of credit materials, beside any extractor

    def build(self, ref: DocumentRef, chunks: list[Chunk],
              on_progress: Callable[[int, int], None] | None = None) -> GraphBuildResult:
        resolver = self.resolver_for_kb(ref.kb_id)
        entities: set[str] = set()
        relations = 0
        if not chunks:
            self.store.remove_document(ref.document_id)
        units = section_units(chunks) if isinstance(self.extractor, RuleExtractor) else [None] * len(chunks)
        for start in range(0, len(chunks), WRITE_BATCH):
            batch = []
            for chunk, unit in zip(chunks[start:start + WRITE_BATCH], units[start:start + WRITE_BATCH]):
                found = self.extractor.extract(chunk.text, chunk.heading_path, money_unit=unit) if unit else \
                    self.extractor.extract(chunk.text, chunk.heading_path)
                extraction = merge_extractions(found, self.credit_roles.extract(chunk.text, ref.name))
                extraction = resolver.resolve(extraction)
                entities.update(e.key or f"{e.type}:{e.name}" for e in extraction.entities)
                relations += len(extraction.relations)
                batch.append(ChunkFacts(point_id(ref.document_id, ref.version, chunk.index),
                                        extraction.entities, extraction.relations))
            self._write(ref, batch)
            if on_progress:
                on_progress(min(start + WRITE_BATCH, len(chunks)), len(chunks))
        return GraphBuildResult(len(chunks), len(entities), relations)

    def _write(self, ref: DocumentRef, batch: list[ChunkFacts]) -> None:
        """Writes are idempotent, so a conflict with a concurrent job's transaction (ArcadeDB reports one
        instead of waiting) is retried after a short pause."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                self.store.write_chunk_facts(ref.kb_id, ref.document_id, ref.version, batch)
                return
            except Neo4jError:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * 2**attempt + random.random() * 0.2)

    def remove_document(self, document_id: str) -> None:
        self.store.remove_document(document_id)


def section_units(chunks: list[Chunk]) -> list[str | None]:
    """Per chunk, the money unit of its table: its own "单位：万元" line, its headings', its parent's, else the last one
    an earlier chunk of the same section (heading path) gave. A long statement is cut into several chunks and only
    the first holds the unit line; the rest would name bare figures."""
    carried: dict[tuple[str, ...], str] = {}
    out: list[str | None] = []
    for chunk in chunks:
        section = tuple(chunk.heading_path or ())
        own = money_unit_of(chunk.text, chunk.heading_path) or money_unit_of(chunk.parent_text or "")
        if own:
            carried[section] = own
        out.append(own or carried.get(section))
    return out
