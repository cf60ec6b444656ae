"""Report drafting over a subject's documents: pick the materials, search only them, write, store, export."""
from __future__ import annotations

from zhiku.core.errors import InvalidInput
from zhiku.core.metadata_store import MetadataStore
from zhiku.core.models import DocumentStatus
from zhiku.index.vector_store import ChunkFilter
from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalMode
from zhiku.scenarios.company_names import short_name
from zhiku.scenarios.report_export import to_dict, to_docx, to_markdown
from zhiku.scenarios.report_store import ReportStore
from zhiku.scenarios.report_template import TemplateLibrary
from zhiku.scenarios.report_writer import ReportWriter

class ReportService:
    def __init__(self, metadata: MetadataStore, retriever: HybridRetriever, writer: ReportWriter,
                 templates: TemplateLibrary, store: ReportStore):
        self.metadata = metadata
        self.retriever = retriever
        self.writer = writer
        self.templates = templates
        self.store = store

    def subject_documents(self, subject: str, kb_ids: list[str], document_ids: list[str] | None) -> list[dict]:
        """The chosen documents, or every indexed document whose name names the subject."""
        documents = [d for kb_id in kb_ids for d in self.metadata.list_documents(kb_id)]
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
              mode: str | None = None, principals: list[str] | None = None) -> dict:
        subject = subject.strip()
        if not subject:
            raise InvalidInput("name the company (or issuer) the report is about")
        template = self.templates.get(template_id)
        documents = self.subject_documents(subject, kb_ids, document_ids)
        chunk_filter = ChunkFilter(kb_ids=kb_ids, document_ids=[d["id"] for d in documents], principals=principals)

        def search(query: str, top_k: int):
            return self.retriever.retrieve(query, chunk_filter, top_k, RetrievalMode.HYBRID_RERANK).hits

        report = self.writer.write(template, subject, documents, search, mode)
        body = to_dict(report)
        self.store.save(report.id, body, to_markdown(report), to_docx(report))
        return body
