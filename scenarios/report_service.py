"""Report drafting over a subject's documents: pick the materials, search only them, write, store, export."""
from __future__ import annotations

from zhiku.core.errors import InvalidInput
from zhiku.core.metadata_store import MetadataStore
from zhiku.core.models import DocumentStatus
from zhiku.core.read_scope import ReadScope
from zhiku.index.vector_store import ChunkFilter
from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalMode
from zhiku.scenarios.company_names import short_name
from zhiku.scenarios.report_export import to_dict, to_docx, to_markdown
from zhiku.scenarios.report_store import ReportStore
from zhiku.scenarios.report_template import TemplateLibrary
from zhiku.scenarios.report_writer import ReportWriter

def access_filter(kb_ids: list[str], document_ids: list[str], access: ReadScope | None) -> ChunkFilter:
    """The chunk filter of chosen documents under a read scope (None: unrestricted)."""
    if access is None:
        return ChunkFilter(kb_ids=kb_ids, document_ids=document_ids)
    return ChunkFilter(kb_ids=kb_ids, document_ids=document_ids, principals=access.principals,
                       full_access_kb_ids=list(access.full_kb_ids))


class ReportService:
    def __init__(self, metadata: MetadataStore, retriever: HybridRetriever, writer: ReportWriter,
                 templates: TemplateLibrary, store: ReportStore):
        self.metadata = metadata
        self.retriever = retriever
        self.writer = writer
        self.templates = templates
        self.store = store

    def subject_documents(self, subject: str, kb_ids: list[str], document_ids: list[str] | None,
                          access: ReadScope | None = None) -> list[dict]:
        """The chosen documents, or every indexed document whose name names the subject; with `access`, only
        documents it may read (the others are not found, as if absent)."""
        documents = [d for kb_id in kb_ids for d in self.metadata.list_documents(kb_id, access)]
        if document_ids:
            by_id = {d.id: d for d in documents}
            missing = [i for i in document_ids if i not in by_id]
            if missing:
                raise InvalidInput(f"documents not found in these knowledge bases: {', '.join(missing)}")
            chosen = [by_id[i] for i in document_ids]
        else:
            key = short_name(subject)
            chosen = [d for d in documents if key and key in d.name]
            if not chosen:
                raise InvalidInput(f"no document name contains {key!r}; pass document_ids to choose the "
                                   f"materials for {subject}")
        not_ready = [d.name for d in chosen if d.status != DocumentStatus.DONE.value]
        usable = [d for d in chosen if d.status == DocumentStatus.DONE.value]
        if not usable:
            raise InvalidInput(f"none of the materials is indexed yet ({', '.join(not_ready)}); wait for their jobs")
        return [{"id": d.id, "name": d.name, "kb_id": d.kb_id} for d in usable]

    def draft(self, template_id: str, subject: str, kb_ids: list[str], document_ids: list[str] | None = None,
              mode: str | None = None, access: ReadScope | None = None, owner: str | None = None) -> dict:
        """A report drafted from what `access` may read, kept for its `owner` (the caller's subject)."""
        subject = subject.strip()
        if not subject:
            raise InvalidInput("name the company (or issuer) the report is about")
        template = self.templates.get(template_id)
        documents = self.subject_documents(subject, kb_ids, document_ids, access)
        chunk_filter = access_filter(kb_ids, [d["id"] for d in documents], access)

        def search(query: str, top_k: int):
            return self.retriever.retrieve(query, chunk_filter, top_k, RetrievalMode.HYBRID_RERANK).hits

        report = self.writer.write(template, subject, documents, search, mode)
        body = {**to_dict(report), "owner": owner}
        self.store.save(report.id, body, to_markdown(report), to_docx(report))
        return body
