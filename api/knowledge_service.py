"""The use cases behind the API and CLI: each one keeps the metadata store and the index in step."""
from __future__ import annotations

import io
import re
from dataclasses import asdict
import unicodedata
from typing import BinaryIO
from pathlib import PurePosixPath, PureWindowsPath

from zhiku.answer.answer_service import AnswerScope
from zhiku.answer.grounded_answerer import Answer
from zhiku.api.runtime import Runtime
from zhiku.core.errors import EmptyFile, InvalidInput, NotFound, UnsupportedFileType
from zhiku.core.metadata_store import UploadResult
from zhiku.core.models import Document, JobLane, KnowledgeBase
from zhiku.guardrails.guarded_retriever import FLAGS_FIELD, guard_hits
from zhiku.index.vector_store import ChunkFilter
from zhiku.ingest.job_lanes import choose_lane
from zhiku.ingest.file_types import OLE2_MAGIC, detect_file_type, file_type_from_name, mime_type
from zhiku.retrieval.hybrid_retriever import Retrieval, RetrievalMode
from zhiku.retrieval.query_text import require_query_length
from zhiku.retrieval.search_hit import SearchHit
from zhiku.core.languages import spoken_language

def clean_filename(name: str | None) -> str:
    """Keep only the last path component (browsers and curl may send one), NFC-normalised."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = unicodedata.normalize("NFC", base).strip().replace("\x00", "")
    return base[:255]


def normalize_language(language: str | None) -> str | None:
    """A spoken-language code as the speech engine takes it (core/languages.py), refused if it knows none."""
    return spoken_language(language)


class KnowledgeService:
    def __init__(self, runtime: Runtime):
        self.rt = runtime

    # -- knowledge bases ----------------------------------------------------------------------
    def create_kb(self, name: str, description: str = "", language: str | None = None) -> KnowledgeBase:
        return self.rt.metadata.create_kb(name, description, spoken_language(language))

    def delete_kb(self, kb_id: str) -> None:
        kb_id = self.rt.metadata.get_kb(kb_id).id
        documents = self.rt.metadata.delete_kb(kb_id)
        self.rt.vector_store.delete(ChunkFilter(kb_ids=[kb_id]))
        if self.rt.graph_store is not None:
            self.rt.graph_store.remove_kb(kb_id)
        self.rt.retention.release({h for d in documents for h in (d.content_hash, d.indexed_hash) if h})

    # -- documents ----------------------------------------------------------------------------
    def upload(self, kb_id: str, filename: str | None, data: bytes | BinaryIO,
               access_principals: list[str] | None = None, language: str | None = None) -> UploadResult:
        """Validate, store the original, queue ingestion. Bad input raises and leaves nothing stored.

        `data` is the file's bytes or a binary stream (copied to the file store block by block, so a long
        recording is never held in memory). `language` forces the spoken language of a recording (ISO
        639-1, e.g. "zh"); by default the knowledge base's language applies, else it is detected.
        """
        kb = self.rt.metadata.get_kb(kb_id)
        language = normalize_language(language)
        name = clean_filename(filename)
        if not name:
            raise UnsupportedFileType("the upload has no file name; send it with one, e.g. report.pdf")
        file_type_from_name(name)  # an unsupported type is refused before anything is stored
        stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
        stored = self.rt.files.save_stream(stream, self.rt.settings.max_upload_bytes, name)
        try:
            if not stored.head.strip():
                raise EmptyFile(f"{name} is empty")
            # A legacy/encrypted Office container is recognised anywhere in the file; those are small.
            head = self.rt.files.read(stored.digest) if stored.head.startswith(OLE2_MAGIC) else stored.head
            file_type = detect_file_type(name, head)
            result = self.rt.metadata.register_upload(kb.id, name, stored.digest, mime_type(file_type, name),
                                                      file_type.value, stored.size, access_principals, language,
                                                      self._lane(file_type.value, stored.size))
        except BaseException:
            if not self.rt.metadata.is_hash_referenced(stored.digest):
                self.rt.files.delete(stored.digest)  # refused: never any document's, no retention
            raise
        if result.job is not None:
            self.rt.jobs.submit(result.job.id)
        return result

    def reindex_document(self, document_id: str) -> str:
        """Queue the document's current content again; returns the job id."""
        document = self.rt.metadata.get_document(document_id)
        job = self.rt.metadata.requeue_document(document_id, self._lane(document.file_type, document.size_bytes))
        self.rt.jobs.submit(job.id)
        return job.id

    def _lane(self, file_type: str, size_bytes: int) -> JobLane:
        return choose_lane(file_type, size_bytes, int(self.rt.settings.large_job_mb * 1024 * 1024))

    def delete_document(self, document_id: str) -> Document:
        """Its running job, in whatever process, stops at its next progress report (the job row goes with the
        document) and removes what it wrote after this."""
        document = self.rt.metadata.delete_document(document_id)
        self.rt.indexer.remove_document(document.id)
        if self.rt.graph_store is not None:
            self.rt.graph_store.remove_document(document.id)  # exactly the facts only this document supported
        self.rt.retention.release({h for h in (document.content_hash, document.indexed_hash) if h})
        return document

    # -- retrieval ----------------------------------------------------------------------------
    def resolve_kbs(self, refs: list[str] | None) -> list[str]:
        """Knowledge bases by id or name; none given means all of them."""
        if not refs:
            return [kb.id for kb in self.rt.metadata.list_kbs()]
        return [self.rt.metadata.get_kb(ref).id for ref in refs]

    def search(self, query: str, kbs: list[str] | None = None, top_k: int | None = None,
               document_ids: list[str] | None = None, file_types: list[str] | None = None,
               mode: RetrievalMode | None = None,
               principals: list[str] | None = None) -> list[SearchHit]:
        return self.retrieve(query, kbs, top_k, document_ids, file_types, mode, principals).hits

    def retrieve(self, query: str, kbs: list[str] | None = None, top_k: int | None = None,
                 document_ids: list[str] | None = None, file_types: list[str] | None = None,
                 mode: RetrievalMode | None = None,
                 principals: list[str] | None = None) -> Retrieval:
        """Hits, and the subgraph graph expansion used (mode hybrid+rerank+graph). Mode None: ZHIKU_SEARCH_MODE."""
        self.check_query(query)
        kb_ids = self.resolve_kbs(kbs)
        if not kb_ids:
            raise NotFound("there are no knowledge bases yet; create one and upload documents first")
        chunk_filter = ChunkFilter(kb_ids=kb_ids, document_ids=document_ids or [], file_types=file_types or [],
                                   principals=principals)
        mode = mode or RetrievalMode(self.rt.settings.search_mode)
        return self.rt.retriever.retrieve(query, chunk_filter, top_k or self.rt.settings.top_k, mode)

    def check_query(self, text: str) -> None:
        """422 for a query over ZHIKU_MAX_QUERY_CHARS; streamed routes call it before their stream starts."""
        require_query_length(text, self.rt.settings.max_query_chars)

    def chunks(self, chunk_ids: list[str], kbs: list[str] | None = None,
               principals: list[str] | None = None) -> list[SearchHit]:
        """Chunks by the ids search hits and graph provenance carry, in the order asked; ids that are not in
        these knowledge bases (or no longer exist) are left out."""
        kb_ids = self.resolve_kbs(kbs)
        ids = list(dict.fromkeys(chunk_ids))
        if not kb_ids or not ids:
            return []
        found = self.rt.vector_store.fetch(ChunkFilter(kb_ids=kb_ids, principals=principals, point_ids=ids), len(ids))
        by_id = {point.point_id: point for point in found}
        return guard_hits([SearchHit.from_point(i, by_id[i].payload) for i in ids if i in by_id],
                          self.rt.guardrail_policy)

    def flagged_chunks(self, document_id: str) -> list[SearchHit]:
        """The document's chunks the guardrails flagged at ingestion, with the reasons (for administrators)."""
        document = self.rt.metadata.get_document(document_id)
        found = self.rt.vector_store.fetch(ChunkFilter(document_ids=[document.id]),
                                           self.rt.settings.max_document_chunks)
        return guard_hits([SearchHit.from_point(point.point_id, point.payload) for point in found
                           if point.payload.get(FLAGS_FIELD)], self.rt.guardrail_policy)

    @staticmethod
    def used_graph(retrieval: Retrieval) -> dict | None:
        evidence = retrieval.graph
        if evidence is None:
            return None
        subgraph = evidence.subgraph
        return {"linked": [asdict(e) for e in evidence.linked],
                "paths": [asdict(p) for p in subgraph.paths] if subgraph else [],
                "entities": [asdict(e) for e in subgraph.entities.values()] if subgraph else [],
                "relations": [asdict(r) for r in subgraph.relations.values()] if subgraph else []}

    def answer_scope(self, kbs: list[str] | None = None, document_ids: list[str] | None = None,
                     top_k: int | None = None, principals: list[str] | None = None) -> AnswerScope:
        kb_ids = self.resolve_kbs(kbs)
        if not kb_ids:
            raise NotFound("there are no knowledge bases yet; create one and upload documents first")
        return AnswerScope(kb_ids, document_ids or None, principals, top_k)

    def ask(self, question: str, kbs: list[str] | None = None, top_k: int | None = None,
            principals: list[str] | None = None, mode: str | None = None,
            document_ids: list[str] | None = None) -> Answer:
        return self.rt.answers.answer(question, self.answer_scope(kbs, document_ids, top_k, principals), mode)

    # -- knowledge graph ----------------------------------------------------------------------
    def _graph(self):
        if self.rt.graph_store is None:
            raise NotFound("the knowledge graph is switched off (ZHIKU_GRAPH_ENABLED=false)")
        return self.rt.graph_store

    def graph_search_entities(self, text: str, kbs: list[str] | None, limit: int) -> list[dict]:
        return [asdict(e) for e in self._graph().search_entities(self.resolve_kbs(kbs), text, limit)]

    def graph_entity_detail(self, key: str, kbs: list[str] | None, limit: int) -> dict:
        detail = self._graph().entity_detail(self.resolve_kbs(kbs), key, limit)
        if detail is None:
            raise NotFound(f"entity {key!r} not found in these knowledge bases")
        return asdict(detail)

    def graph_path(self, source: str, target: str, kbs: list[str] | None, max_hops: int) -> dict:
        result = self._graph().path_between(self.resolve_kbs(kbs), source, target, max_hops)
        return {"paths": [asdict(p) for p in result.paths],
                "entities": [asdict(e) for e in result.entities.values()],
                "relations": [asdict(r) for r in result.relations.values()]}
