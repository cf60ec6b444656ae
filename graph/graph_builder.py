"""The ingestion job's graph stage: a live document version's chunks → extracted, resolved facts in the store.

A chunk is known to the graph by its vector-store point id, so every fact's provenance leads straight to
the chunks retrieval returns (and access control filters).
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from neo4j.exceptions import Neo4jError

from zhiku.core.types import Chunk
from zhiku.graph.extraction.credit_roles import CreditRoleExtractor, merge_extractions
from zhiku.graph.extraction.chunk_extractor import ChunkExtractor
from zhiku.graph.extraction.entity_resolution import EntityResolver
from zhiku.graph.extraction.rule_extractor import RuleExtractor, money_unit_of
from zhiku.graph.graph_store import ChunkFacts, DocumentFacts, GraphStore
from zhiku.index.indexer import DocumentRef, point_id

WRITE_BATCH = 200  # chunks per transaction: large documents are written in bounded pieces, small ones together
WRITE_ATTEMPTS = 4


@dataclass(slots=True)
class GraphBuildResult:
    chunks: int
    entities: int
    relations: int
    error: Exception | None = None  # build_many: this document's extraction or write failed (the others' did not)


class GraphBuilder:
    def __init__(self, store: GraphStore, extractor: ChunkExtractor, resolver_for_kb: Callable[[str], EntityResolver]):
        self.store = store
        self.extractor = extractor
        self.resolver_for_kb = resolver_for_kb
        self.credit_roles = CreditRoleExtractor()  # roles and forms of credit materials, beside any extractor

    def build(self, ref: DocumentRef, chunks: list[Chunk],
              on_progress: Callable[[int, int], None] | None = None) -> GraphBuildResult:
        result = self.build_many([(ref, chunks)], on_progress=on_progress)[0]
        if result.error is not None:
            raise result.error
        return result

    def build_many(self, documents: Sequence[tuple[DocumentRef, list[Chunk]]],
                   on_progress: Callable[[int, int], None] | None = None) -> list[GraphBuildResult]:
        """Several live document versions' facts, written in as few transactions as WRITE_BATCH chunks allow: small
        documents share one (the graph server's work was per statement, ≈ 12 per transaction; docs/profiles), a
        large one is cut into pieces of WRITE_BATCH chunks. One result per document, in order; a document whose
        extraction or write fails gets its error there and the others are written all the same.
        `on_progress(done, total)`: chunks of all the documents written so far; what it raises stops the build."""
        results = [GraphBuildResult(len(chunks), 0, 0) for _, chunks in documents]
        resolvers: dict[str, EntityResolver] = {}  # one per knowledge base and call, not per document (docs/profiles)
        total = sum(len(chunks) for _, chunks in documents)
        done = 0
        pending: list[tuple[int, DocumentFacts]] = []  # (document's position, its facts) for the next transaction

        def flush() -> None:
            nonlocal done
            if pending:
                self._write_all(pending, results)
                done += sum(len(facts.facts) for _, facts in pending)
                pending.clear()
                if on_progress:
                    on_progress(done, total)

        for position, (ref, chunks) in enumerate(documents):
            if not chunks:
                try:
                    self.store.remove_document(ref.document_id)
                except Exception as exc:  # noqa: BLE001 - reported in this document's result
                    results[position].error = exc
                continue
            pieces = self._extract(ref, chunks, results[position], resolvers)  # extracted piece by piece, as written
            while results[position].error is None:
                try:
                    piece = next(pieces, None)
                except Exception as exc:  # noqa: BLE001 - reported in this document's result
                    results[position].error = exc
                    break
                if piece is None:
                    break
                if any(facts.document_id == ref.document_id for _, facts in pending) or \
                        (pending and sum(len(facts.facts) for _, facts in pending) + len(piece) > WRITE_BATCH):
                    flush()  # a document appears once per transaction; transactions stay within WRITE_BATCH
                pending.append((position, DocumentFacts(ref.kb_id, ref.document_id, ref.version, piece)))
            if results[position].error is not None:
                pending[:] = [(p, facts) for p, facts in pending if p != position]
        flush()
        return results

    def _extract(self, ref: DocumentRef, chunks: list[Chunk], result: GraphBuildResult,
                 resolvers: dict[str, EntityResolver]) -> Iterator[list[ChunkFacts]]:
        """The document's chunk facts in pieces of WRITE_BATCH chunks; counts entities and relations in `result`.
        `resolvers`: the knowledge bases' resolvers made so far in this build (resolution only reads them)."""
        resolver = resolvers.get(ref.kb_id)
        if resolver is None:
            resolver = resolvers[ref.kb_id] = self.resolver_for_kb(ref.kb_id)
        entities: set[str] = set()
        units = section_units(chunks) if isinstance(self.extractor, RuleExtractor) else [None] * len(chunks)
        for start in range(0, len(chunks), WRITE_BATCH):
            piece = []
            for chunk, unit in zip(chunks[start:start + WRITE_BATCH], units[start:start + WRITE_BATCH]):
                found = self.extractor.extract(chunk.text, chunk.heading_path, money_unit=unit) if unit else \
                    self.extractor.extract(chunk.text, chunk.heading_path)
                extraction = merge_extractions(found, self.credit_roles.extract(chunk.text, ref.name))
                extraction = resolver.resolve(extraction)
                entities.update(e.key or f"{e.type}:{e.name}" for e in extraction.entities)
                result.relations += len(extraction.relations)
                piece.append(ChunkFacts(point_id(ref.document_id, ref.version, chunk.index),
                                        extraction.entities, extraction.relations))
            result.entities = len(entities)
            yield piece

    def _write_all(self, pending: list[tuple[int, DocumentFacts]], results: list[GraphBuildResult]) -> None:
        """One transaction for all; when it fails, each document on its own, so only the one at fault fails."""
        try:
            self._write([facts for _, facts in pending])
            return
        except Exception as exc:  # noqa: BLE001 - which document? write them one by one
            if len(pending) == 1:
                results[pending[0][0]].error = exc
                return
        for position, facts in pending:
            try:
                self._write([facts])
            except Exception as exc:  # noqa: BLE001 - reported in this document's result
                results[position].error = exc

    def _write(self, documents: list[DocumentFacts]) -> None:
        """Writes are idempotent, so a conflict with a concurrent job's transaction (ArcadeDB reports one
        instead of waiting) is retried after a short pause."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                self.store.write_documents(documents)
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
