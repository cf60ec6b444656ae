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
from zhiku.core.access import SYSTEM_CALLER, Caller, CallerKind, Operation
from zhiku.core.authorization import Authorizer, clean_principals
from zhiku.core.errors import EmptyFile, InvalidInput, NotFound, UnsupportedFileType
from zhiku.core.read_scope import EVERYONE, ReadScope
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
    """Every use case takes the caller (keyword `caller`; the process itself when omitted, as the CLI and the
    demo loader run) and applies what it may read or change (core/authorization.py) inside its queries."""

    def __init__(self, runtime: Runtime):
        self.rt = runtime
        self.access = Authorizer(runtime.metadata)

    def group_id(self, name_or_id: str) -> str | None:
        """The id of a group named so in the identity store (None without one, or no such group): readers and
        admins may be typed as "group:<name>" and are stored as "group:<id>", the form a Caller's groups take."""
        identity = getattr(self.rt, "identity", None)
        if identity is None:
            return None
        group = identity.users.find_group(name_or_id)
        return group.id if group is not None else None

    def principals(self, values: list[str] | None, what: str, allow_everyone: bool = True) -> list[str]:
        return clean_principals(values, what, allow_everyone, self.group_id)

    # -- knowledge bases ----------------------------------------------------------------------
    def create_kb(self, name: str, description: str = "", language: str | None = None, *,
                  readers: list[str] | None = None, admins: list[str] | None = None,
                  caller: Caller = SYSTEM_CALLER) -> KnowledgeBase:
        """System admins create knowledge bases; readers default to everyone, admins to the creating user."""
        self.access.require_system_admin(caller, "create a knowledge base")
        readers = [EVERYONE] if readers is None else self.principals(readers, "readers")
        admins = self.principals(admins, "admins", allow_everyone=False) if admins is not None else (
            [caller.subject] if caller.kind is CallerKind.USER else [])
        return self.rt.metadata.create_kb(name, description, spoken_language(language), readers=readers, admins=admins)

    def set_kb_access(self, kb_ref: str, readers: list[str], admins: list[str], *,
                      caller: Caller = SYSTEM_CALLER) -> KnowledgeBase:
        """Replace who may read and administer the knowledge base; applies from the next request on (reads
        check the knowledge base's readers per request, so no chunk is rewritten)."""
        kb = self.access.require_kb_admin(caller, kb_ref, Operation.ADMIN)
        readers = self.principals(readers, "readers")
        admins = self.principals(admins, "admins", allow_everyone=False)
        if caller.kind is CallerKind.USER and not caller.sees_everything and not set(caller.principals) & set(admins):
            raise InvalidInput("you would remove yourself from the admins of this knowledge base; keep yourself "
                               "(or one of your groups) among them, or ask a system admin")
        return self.rt.metadata.set_kb_members(kb.id, readers, admins)

    def delete_kb(self, kb_id: str, *, caller: Caller = SYSTEM_CALLER) -> None:
        kb_id = self.access.require_kb_admin(caller, kb_id, Operation.ADMIN).id
        self.access.require_system_admin(caller, "delete a knowledge base")
        documents = self.rt.metadata.delete_kb(kb_id)
        self.rt.vector_store.delete(ChunkFilter(kb_ids=[kb_id]))
        if self.rt.graph_store is not None:
            self.rt.graph_store.remove_kb(kb_id)
        self.rt.retention.release({h for d in documents for h in (d.content_hash, d.indexed_hash) if h})

    # -- documents ----------------------------------------------------------------------------
    def upload(self, kb_id: str, filename: str | None, data: bytes | BinaryIO,
               access_principals: list[str] | None = None, language: str | None = None, *,
               caller: Caller = SYSTEM_CALLER) -> UploadResult:
        """Validate, store the original, queue ingestion. Bad input raises and leaves nothing stored.

        `data` is the file's bytes or a binary stream (copied to the file store block by block, so a long
        recording is never held in memory). `language` forces the spoken language of a recording (ISO
        639-1, e.g. "zh"); by default the knowledge base's language applies, else it is detected.
        `access_principals`: who among the knowledge base's readers may read it (default: all of them, "*").
        """
        kb = self.access.require_kb_admin(caller, kb_id, Operation.UPLOAD)
        if access_principals is not None:
            access_principals = self.principals(access_principals, "readers") or None
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
                                                      self._lane(file_type.value, stored.size),
                                                      uploaded_by=caller.name or caller.subject)
        except BaseException:
            if not self.rt.metadata.is_hash_referenced(stored.digest):
                self.rt.files.delete(stored.digest)  # refused: never any document's, no retention
            raise
        if result.job is not None:
            self.rt.jobs.submit(result.job.id, result.job.lane)
        return result

    def reindex_document(self, document_id: str, *, caller: Caller = SYSTEM_CALLER) -> str:
        """Queue the document's current content again; returns the job id."""
        document = self.access.administered_document(caller, document_id)
        job = self.rt.metadata.requeue_document(document_id, self._lane(document.file_type, document.size_bytes))
        self.rt.jobs.submit(job.id, job.lane)
        return job.id

    def _lane(self, file_type: str, size_bytes: int) -> JobLane:
        return choose_lane(file_type, size_bytes, int(self.rt.settings.large_job_mb * 1024 * 1024))

    def set_document_readers(self, document_id: str, readers: list[str], *,
                             caller: Caller = SYSTEM_CALLER) -> Document:
        """Who among the knowledge base's readers may read the document ("*": all of them). The metadata store
        changes first, then the chunks' payload in place, so the change applies at once without re-embedding."""
        document = self.access.administered_document(caller, document_id)
        readers = self.principals(readers, "readers")
        if not readers:
            raise InvalidInput('readers: name at least one principal, or "*" for all readers of the knowledge base')
        document = self.rt.metadata.set_document_readers(document.id, readers)
        self.rt.vector_store.set_access(document.id, readers)
        return document

    def delete_document(self, document_id: str, *, caller: Caller = SYSTEM_CALLER) -> Document:
        """Its running job, in whatever process, stops at its next progress report (the job row goes with the
        document) and removes what it wrote after this."""
        self.access.administered_document(caller, document_id)
        document = self.rt.metadata.delete_document(document_id)
        self.rt.indexer.remove_document(document.id)
        if self.rt.graph_store is not None:
            self.rt.graph_store.remove_document(document.id)  # exactly the facts only this document supported
        self.rt.retention.release({h for h in (document.content_hash, document.indexed_hash) if h})
        return document

    # -- access -------------------------------------------------------------------------------
    def read_scope(self, refs: list[str] | None = None, operation: Operation = Operation.SEARCH, *,
                   caller: Caller = SYSTEM_CALLER) -> ReadScope:
        """What a read may see: the named knowledge bases (each readable, else 404) or all readable ones."""
        return self.access.read_scope(caller, refs, operation)

    def chunk_filter(self, scope: ReadScope, with_graph: bool = False, **conditions) -> ChunkFilter:
        """The store filter of a read scope; `with_graph` adds the readable document ids the graph needs."""
        documents = self.access.readable_document_ids(scope) if with_graph else None
        return ChunkFilter(kb_ids=scope.kb_ids, principals=scope.principals,
                           full_access_kb_ids=list(scope.full_kb_ids), readable_document_ids=documents,
                           **conditions)

    def readable_document(self, document_id: str, *, caller: Caller = SYSTEM_CALLER) -> Document:
        return self.access.readable_document(caller, document_id)

    # -- retrieval ----------------------------------------------------------------------------
    def resolve_kbs(self, refs: list[str] | None, operation: Operation = Operation.SEARCH, *,
                    caller: Caller = SYSTEM_CALLER) -> list[str]:
        """Knowledge bases by id or name the caller may read; none given means all it may read."""
        return self.read_scope(refs, operation, caller=caller).kb_ids

    def search(self, query: str, kbs: list[str] | None = None, top_k: int | None = None,
               document_ids: list[str] | None = None, file_types: list[str] | None = None,
               mode: RetrievalMode | None = None, *, caller: Caller = SYSTEM_CALLER) -> list[SearchHit]:
        return self.retrieve(query, kbs, top_k, document_ids, file_types, mode, caller=caller).hits

    def retrieve(self, query: str, kbs: list[str] | None = None, top_k: int | None = None,
                 document_ids: list[str] | None = None, file_types: list[str] | None = None,
                 mode: RetrievalMode | None = None, *, caller: Caller = SYSTEM_CALLER) -> Retrieval:
        """Hits, and the subgraph graph expansion used (mode hybrid+rerank+graph). Mode None: ZHIKU_SEARCH_MODE."""
        self.check_query(query)
        scope = self._nonempty(self.read_scope(kbs, Operation.SEARCH, caller=caller))
        mode = mode or RetrievalMode(self.rt.settings.search_mode)
        chunk_filter = self.chunk_filter(scope, mode is RetrievalMode.GRAPH, document_ids=document_ids or [],
                                         file_types=file_types or [])
        return self.rt.retriever.retrieve(query, chunk_filter, top_k or self.rt.settings.top_k, mode)

    def scenario_scope(self, refs: list[str] | None, *, caller: Caller = SYSTEM_CALLER) -> ReadScope:
        """The read scope of a question or a scenario (reports, research): at least one knowledge base."""
        return self._nonempty(self.read_scope(refs, Operation.ASK, caller=caller))

    @staticmethod
    def _nonempty(scope: ReadScope) -> ReadScope:
        if not scope.kb_ids:  # an empty list would mean "no restriction" to the stores
            raise NotFound("there is no knowledge base you may read yet; ask an admin for access, or create one "
                           "and upload documents first")
        return scope

    def check_query(self, text: str) -> None:
        """422 for a query over ZHIKU_MAX_QUERY_CHARS; streamed routes call it before their stream starts."""
        require_query_length(text, self.rt.settings.max_query_chars)

    def chunks(self, chunk_ids: list[str], kbs: list[str] | None = None, *,
               caller: Caller = SYSTEM_CALLER) -> list[SearchHit]:
        """Chunks by the ids search hits and graph provenance carry, in the order asked; ids that are not in
        these knowledge bases, the caller may not read, or no longer exist are left out."""
        scope = self.read_scope(kbs, Operation.SEARCH, caller=caller)
        ids = list(dict.fromkeys(chunk_ids))
        if not scope.kb_ids or not ids:
            return []
        found = self.rt.vector_store.fetch(self.chunk_filter(scope, point_ids=ids), len(ids))
        by_id = {point.point_id: point for point in found}
        return guard_hits([SearchHit.from_point(i, by_id[i].payload) for i in ids if i in by_id],
                          self.rt.guardrail_policy)

    def flagged_chunks(self, document_id: str, *, caller: Caller = SYSTEM_CALLER) -> list[SearchHit]:
        """The document's chunks the guardrails flagged at ingestion, with the reasons (for administrators)."""
        document = self.access.administered_document(caller, document_id)
        found = self.rt.vector_store.fetch(ChunkFilter(document_ids=[document.id]),
                                           self.rt.settings.max_document_chunks)
        return guard_hits([SearchHit.from_point(point.point_id, point.payload) for point in found
                           if point.payload.get(FLAGS_FIELD)], self.rt.guardrail_policy)

    @staticmethod
    def used_graph(retrieval: Retrieval) -> dict | None:
        evidence = retrieval.graph
        if evidence is None:
            return None
        subgraph = evidence.described()
        return {"linked": [asdict(e) for e in evidence.linked],
                "paths": [asdict(p) for p in subgraph.paths] if subgraph else [],
                "entities": [asdict(e) for e in subgraph.entities.values()] if subgraph else [],
                "relations": [asdict(r) for r in subgraph.relations.values()] if subgraph else []}

    def answer_scope(self, kbs: list[str] | None = None, document_ids: list[str] | None = None,
                     top_k: int | None = None, *, caller: Caller = SYSTEM_CALLER) -> AnswerScope:
        scope = self._nonempty(self.read_scope(kbs, Operation.ASK, caller=caller))
        graph = RetrievalMode(self.rt.settings.search_mode) is RetrievalMode.GRAPH
        return AnswerScope(scope.kb_ids, document_ids or None, scope.principals, top_k, list(scope.full_kb_ids),
                           self.access.readable_document_ids(scope) if graph else None)

    def ask(self, question: str, kbs: list[str] | None = None, top_k: int | None = None,
            mode: str | None = None, document_ids: list[str] | None = None, *,
            caller: Caller = SYSTEM_CALLER) -> Answer:
        return self.rt.answers.answer(question, self.answer_scope(kbs, document_ids, top_k, caller=caller), mode)

    # -- what belongs to a user: conversations, feedback, report drafts ------------------------------
    def content_owner(self, caller: Caller) -> str | None:
        """Whose conversations, feedback and reports the caller sees: its own, or (None) everyone's for a system
        admin where ZHIKU_ADMINS_SEE_USER_CONTENT allows."""
        if caller.sees_everything and self.rt.settings.admins_see_user_content:
            return None
        return caller.subject

    def own_conversation(self, conversation_id: str, *, caller: Caller = SYSTEM_CALLER):
        conversation = self.rt.conversations.get(conversation_id)
        owner = self.content_owner(caller)
        if owner is not None and conversation.owner != owner:
            raise NotFound(f"conversation {conversation_id!r} not found; start a new one without an id")
        return conversation

    def own_answer(self, message_id: str, *, caller: Caller = SYSTEM_CALLER) -> None:
        owner = self.content_owner(caller)
        if owner is not None and self.rt.conversations.message_owner(message_id) != owner:
            raise NotFound(f"answer {message_id!r} not found")

    def own_report(self, report_id: str, *, caller: Caller = SYSTEM_CALLER) -> dict:
        body = self.rt.reports.store.load(report_id)
        owner = self.content_owner(caller)
        if owner is not None and body.get("owner") != owner:
            raise NotFound(f"report {report_id!r} not found")
        return body

    # -- knowledge graph ----------------------------------------------------------------------
    def _graph(self):
        if self.rt.graph_store is None:
            raise NotFound("the knowledge graph is switched off (ZHIKU_GRAPH_ENABLED=false)")
        return self.rt.graph_store

    def _graph_scope(self, kbs: list[str] | None, caller: Caller) -> tuple[list[str], list[str] | None]:
        """The knowledge bases and the readable documents (None: all) a graph read may see."""
        scope = self._nonempty(self.read_scope(kbs, Operation.SEARCH, caller=caller))
        return scope.kb_ids, self.access.readable_document_ids(scope)

    def graph_search_entities(self, text: str, kbs: list[str] | None, limit: int, *,
                              caller: Caller = SYSTEM_CALLER) -> list[dict]:
        kb_ids, documents = self._graph_scope(kbs, caller)
        return [asdict(e) for e in self._graph().search_entities(kb_ids, text, limit, document_ids=documents)]

    def graph_entity_detail(self, key: str, kbs: list[str] | None, limit: int, *,
                            caller: Caller = SYSTEM_CALLER) -> dict:
        kb_ids, documents = self._graph_scope(kbs, caller)
        detail = self._graph().entity_detail(kb_ids, key, limit, document_ids=documents)
        if detail is None:
            raise NotFound(f"entity {key!r} not found in these knowledge bases")
        return asdict(detail)

    def graph_path(self, source: str, target: str, kbs: list[str] | None, max_hops: int, *,
                   caller: Caller = SYSTEM_CALLER) -> dict:
        kb_ids, documents = self._graph_scope(kbs, caller)
        result = self._graph().path_between(kb_ids, source, target, max_hops, document_ids=documents)
        return {"paths": [asdict(p) for p in result.paths],
                "entities": [asdict(e) for e in result.entities.values()],
                "relations": [asdict(r) for r in result.relations.values()]}
