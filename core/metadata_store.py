"""Knowledge bases, documents and ingestion jobs in SQL (SQLite by default, PostgreSQL in production)."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from zhiku.core.errors import Conflict, NotFound
from zhiku.core.models import Document, DocumentStatus, IngestionJob, JobStatus, KnowledgeBase, utcnow


class UploadOutcome(str, Enum):
    QUEUED = "queued"          # a new document
    REPLACED = "replaced"      # same name, new content: the old chunks go when the new ones are live
    UNCHANGED = "unchanged"    # same name, same content: nothing to do
    DUPLICATE = "duplicate"    # same content already in this knowledge base under another name


@dataclass(slots=True)
class UploadResult:
    outcome: UploadOutcome
    document: Document
    job: IngestionJob | None


class MetadataStore:
    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions

    def ping(self) -> None:
        """Raises if the database does not answer (readiness check)."""
        with self._sessions() as s:
            s.execute(text("SELECT 1"))

    # -- knowledge bases ----------------------------------------------------------------------
    def create_kb(self, name: str, description: str = "", language: str | None = None) -> KnowledgeBase:
        name = name.strip()
        with self._sessions() as s:
            kb = KnowledgeBase(name=name, description=description, language=language)
            s.add(kb)
            try:
                s.commit()
            except IntegrityError:
                raise Conflict(f"a knowledge base named {name!r} already exists") from None
            return kb

    def update_kb(self, id_or_name: str, **changes) -> KnowledgeBase:
        """Set the given fields (description, language, chunk_size, chunk_overlap); None clears a setting."""
        kb_id = self.get_kb(id_or_name).id
        with self._sessions() as s:
            kb = s.get(KnowledgeBase, kb_id)
            for name, value in changes.items():
                setattr(kb, name, value)
            s.commit()
            return kb

    def list_kbs(self) -> list[KnowledgeBase]:
        with self._sessions() as s:
            return list(s.scalars(select(KnowledgeBase).order_by(KnowledgeBase.created_at)))

    def get_kb(self, id_or_name: str) -> KnowledgeBase:
        with self._sessions() as s:
            kb = s.get(KnowledgeBase, id_or_name) or s.scalar(
                select(KnowledgeBase).where(KnowledgeBase.name == id_or_name))
            if kb is None:
                raise NotFound(f"knowledge base {id_or_name!r} not found")
            return kb

    def find_kb(self, id_or_name: str) -> KnowledgeBase | None:
        try:
            return self.get_kb(id_or_name)
        except NotFound:
            return None

    def delete_kb(self, kb_id: str) -> list[Document]:
        """Delete the knowledge base row and its documents; returns the documents for store cleanup."""
        with self._sessions() as s:
            kb = s.get(KnowledgeBase, kb_id)
            if kb is None:
                raise NotFound(f"knowledge base {kb_id!r} not found")
            documents = list(s.scalars(select(Document).where(Document.kb_id == kb_id)))
            s.delete(kb)
            s.commit()
            return documents

    def document_counts(self) -> dict[str, int]:
        with self._sessions() as s:
            rows = s.execute(select(Document.kb_id, func.count()).group_by(Document.kb_id))
            return {kb_id: n for kb_id, n in rows}

    # -- documents ----------------------------------------------------------------------------
    def register_upload(self, kb_id: str, name: str, digest: str, mime_type: str, file_type: str,
                        size_bytes: int, access_principals: list[str] | None = None,
                        language: str | None = None) -> UploadResult:
        with self._sessions() as s:
            if s.get(KnowledgeBase, kb_id) is None:
                raise NotFound(f"knowledge base {kb_id!r} not found")
            existing = s.scalar(select(Document).where(Document.kb_id == kb_id, Document.name == name))
            if (existing is not None and existing.content_hash == digest and existing.status != DocumentStatus.FAILED
                    and (language is None or language == existing.language)):
                return UploadResult(UploadOutcome.UNCHANGED, existing, None)
            if existing is None:
                twin = s.scalar(select(Document).where(Document.kb_id == kb_id, Document.content_hash == digest))
                if twin is not None:
                    return UploadResult(UploadOutcome.DUPLICATE, twin, None)
                document = Document(kb_id=kb_id, name=name, content_hash=digest, mime_type=mime_type,
                                    file_type=file_type, size_bytes=size_bytes,
                                    access_principals=access_principals or ["*"], language=language)
                s.add(document)
                outcome = UploadOutcome.QUEUED
            else:
                document = existing
                outcome = UploadOutcome.REPLACED if existing.indexed_hash else UploadOutcome.QUEUED
                document.content_hash, document.mime_type, document.file_type = digest, mime_type, file_type
                document.size_bytes = size_bytes
                if access_principals is not None:
                    document.access_principals = access_principals
                if language is not None:
                    document.language = language
            document.status, document.error = DocumentStatus.PENDING.value, None
            s.flush()
            job = IngestionJob(document_id=document.id, content_hash=digest)
            s.add(job)
            try:
                s.commit()
            except IntegrityError:  # a concurrent upload of the same name won the race
                s.rollback()
                raise Conflict(f"{name!r} is being uploaded by another request; try again") from None
            return UploadResult(outcome, document, job)

    def requeue_document(self, document_id: str) -> IngestionJob:
        """A new job for the document's current content (re-index after a model or collection change)."""
        with self._sessions() as s:
            document = s.get(Document, document_id)
            if document is None:
                raise NotFound(f"document {document_id!r} not found")
            job = IngestionJob(document_id=document.id, content_hash=document.content_hash)
            document.status, document.error = DocumentStatus.PENDING.value, None
            s.add(job)
            s.commit()
            return job

    def get_document(self, document_id: str) -> Document:
        with self._sessions() as s:
            document = s.get(Document, document_id)
            if document is None:
                raise NotFound(f"document {document_id!r} not found")
            return document

    def list_documents(self, kb_id: str) -> list[Document]:
        with self._sessions() as s:
            return list(s.scalars(select(Document).where(Document.kb_id == kb_id).order_by(Document.created_at)))

    def delete_document(self, document_id: str) -> Document:
        with self._sessions() as s:
            document = s.get(Document, document_id)
            if document is None:
                raise NotFound(f"document {document_id!r} not found")
            s.delete(document)
            s.commit()
            return document

    def is_hash_referenced(self, digest: str) -> bool:
        with self._sessions() as s:
            return s.scalar(select(Document.id).where(Document.content_hash == digest).limit(1)) is not None

    def mark_document_indexed(self, document_id: str, digest: str, chunk_count: int, page_count: int | None) -> bool:
        """Returns False when the document was deleted or re-uploaded meanwhile (the caller discards)."""
        with self._sessions() as s:
            result = s.execute(
                update(Document)
                .where(Document.id == document_id, Document.content_hash == digest)
                .values(status=DocumentStatus.DONE.value, error=None, indexed_hash=digest,
                        chunk_count=chunk_count, page_count=page_count, updated_at=utcnow())
            )
            s.commit()
            return result.rowcount == 1

    def is_version_live(self, document_id: str, digest: str) -> bool:
        """Whether the document still exists with `digest` as its searchable version."""
        with self._sessions() as s:
            return s.scalar(select(Document.id).where(Document.id == document_id,
                                                      Document.indexed_hash == digest)) is not None

    def mark_document_failed(self, document_id: str, digest: str, error: str) -> None:
        with self._sessions() as s:
            s.execute(update(Document).where(Document.id == document_id, Document.content_hash == digest)
                      .values(status=DocumentStatus.FAILED.value, error=error, updated_at=utcnow()))
            s.commit()

    # -- jobs ---------------------------------------------------------------------------------
    def get_job(self, job_id: str) -> IngestionJob:
        with self._sessions() as s:
            job = s.get(IngestionJob, job_id)
            if job is None:
                raise NotFound(f"job {job_id!r} not found")
            return job

    def latest_jobs(self, document_ids: list[str]) -> dict[str, IngestionJob]:
        if not document_ids:
            return {}
        with self._sessions() as s:
            jobs = s.scalars(select(IngestionJob).where(IngestionJob.document_id.in_(document_ids))
                             .order_by(IngestionJob.created_at))
            return {job.document_id: job for job in jobs}

    def unfinished_job_ids(self) -> list[str]:
        """Jobs a crash or restart interrupted, oldest first: they are simply run again."""
        with self._sessions() as s:
            return list(s.scalars(
                select(IngestionJob.id)
                .where(IngestionJob.status.in_([JobStatus.PENDING.value, JobStatus.PROCESSING.value]))
                .order_by(IngestionJob.created_at)))

    def start_job(self, job_id: str) -> IngestionJob | None:
        with self._sessions() as s:
            job = s.get(IngestionJob, job_id)
            if job is None or job.status in (JobStatus.DONE.value, JobStatus.FAILED.value):
                return None
            job.status, job.stage, job.started_at = JobStatus.PROCESSING.value, "parsing", utcnow()
            job.attempts += 1
            document = s.get(Document, job.document_id)
            if document is not None and document.content_hash == job.content_hash:
                document.status = DocumentStatus.PROCESSING.value
            s.commit()
            return job

    def report_progress(self, job_id: str, stage: str, progress: float, detail: str = "") -> None:
        with self._sessions() as s:
            s.execute(update(IngestionJob).where(IngestionJob.id == job_id)
                      .values(stage=stage, progress=round(min(max(progress, 0.0), 1.0), 4), detail=detail))
            s.commit()

    def finish_job(self, job_id: str, detail: str) -> None:
        self._end_job(job_id, JobStatus.DONE, detail=detail, progress=1.0)

    def fail_job(self, job_id: str, error: str) -> None:
        self._end_job(job_id, JobStatus.FAILED, error=error)

    def _end_job(self, job_id: str, status: JobStatus, detail: str | None = None, error: str | None = None,
                 progress: float | None = None) -> None:
        values: dict = {"status": status.value, "stage": status.value, "finished_at": utcnow(), "error": error}
        if detail is not None:
            values["detail"] = detail
        if progress is not None:
            values["progress"] = progress
        with self._sessions() as s:
            s.execute(update(IngestionJob).where(IngestionJob.id == job_id).values(**values))
            s.commit()
