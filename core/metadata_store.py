"""Knowledge bases, documents and ingestion jobs in SQL (SQLite by default, PostgreSQL in production)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum

from sqlalchemy import delete, exists, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from zhiku.core.errors import Conflict, NotFound
from zhiku.core.models import (DiscardedFile, Document, DocumentReader, DocumentStatus, IngestionJob, JobLane, JobStatus,
                               KbRole, KnowledgeBase, KnowledgeBaseMember, utcnow)
from zhiku.core.read_scope import EVERYONE, ReadScope


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
    def create_kb(self, name: str, description: str = "", language: str | None = None,
                  readers: list[str] | None = None, admins: list[str] | None = None) -> KnowledgeBase:
        """Readers default to everyone ("*"); admins to nobody but the system admins."""
        name = name.strip()
        with self._sessions() as s:
            kb = KnowledgeBase(name=name, description=description, language=language)
            s.add(kb)
            try:
                s.flush()
            except IntegrityError:
                raise Conflict(f"a knowledge base named {name!r} already exists") from None
            _set_members(s, kb.id, [EVERYONE] if readers is None else readers, admins or [])
            s.commit()
        return self.get_kb(kb.id)

    def set_kb_members(self, kb_id: str, readers: list[str], admins: list[str]) -> KnowledgeBase:
        """Replace the knowledge base's readers and admins; takes effect on the next request."""
        with self._sessions() as s:
            if s.get(KnowledgeBase, kb_id) is None:
                raise NotFound(f"knowledge base {kb_id!r} not found")
            s.execute(delete(KnowledgeBaseMember).where(KnowledgeBaseMember.kb_id == kb_id))
            _set_members(s, kb_id, readers, admins)
            s.commit()
        return self.get_kb(kb_id)

    def kb_ids_with_role(self, principals: list[str], role: KbRole) -> set[str]:
        """Knowledge bases where one of `principals` (for readers also "*") holds `role`."""
        names = [*principals, EVERYONE] if role is KbRole.READER else [p for p in principals if p != EVERYONE]
        if not names:
            return set()
        with self._sessions() as s:
            return set(s.scalars(select(KnowledgeBaseMember.kb_id).where(
                KnowledgeBaseMember.principal.in_(names), KnowledgeBaseMember.role == role.value)))

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

    def document_counts(self, scope: ReadScope | None = None) -> dict[str, int]:
        """Documents per knowledge base (with a scope: those it may read)."""
        with self._sessions() as s:
            rows = s.execute(_readable(select(Document.kb_id, func.count()), scope).group_by(Document.kb_id))
            return {kb_id: n for kb_id, n in rows}

    # -- documents ----------------------------------------------------------------------------
    def register_upload(self, kb_id: str, name: str, digest: str, mime_type: str, file_type: str,
                        size_bytes: int, access_principals: list[str] | None = None,
                        language: str | None = None, lane: JobLane = JobLane.SMALL,
                        uploaded_by: str | None = None) -> UploadResult:
        with self._sessions() as s:
            # the id alone: loading the row would load its members too (selectin), a third of an upload's SQL time
            if s.scalar(select(KnowledgeBase.id).where(KnowledgeBase.id == kb_id)) is None:
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
                                    access_principals=access_principals or [EVERYONE], language=language,
                                    uploaded_by=uploaded_by)
                s.add(document)
                outcome = UploadOutcome.QUEUED
            else:
                document = existing
                outcome = UploadOutcome.REPLACED if existing.indexed_hash else UploadOutcome.QUEUED
                document.content_hash, document.mime_type, document.file_type = digest, mime_type, file_type
                document.size_bytes = size_bytes
                if access_principals is not None:
                    document.access_principals = access_principals
                    _set_readers(s, document.id, access_principals)
                if uploaded_by is not None:
                    document.uploaded_by = uploaded_by
                if language is not None:
                    document.language = language
            document.status, document.error = DocumentStatus.PENDING.value, None
            s.flush()
            if existing is None:
                _set_readers(s, document.id, document.access_principals, new_document=True)
            job = IngestionJob(document_id=document.id, content_hash=digest, lane=lane.value)
            s.add(job)
            try:
                s.commit()
            except IntegrityError:  # a concurrent upload of the same name won the race
                s.rollback()
                raise Conflict(f"{name!r} is being uploaded by another request; try again") from None
            return UploadResult(outcome, document, job)

    def requeue_document(self, document_id: str, lane: JobLane = JobLane.SMALL) -> IngestionJob:
        """A new job for the document's current content (re-index after a model or collection change)."""
        with self._sessions() as s:
            document = s.get(Document, document_id)
            if document is None:
                raise NotFound(f"document {document_id!r} not found")
            job = IngestionJob(document_id=document.id, content_hash=document.content_hash, lane=lane.value)
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

    def list_documents(self, kb_id: str, scope: ReadScope | None = None) -> list[Document]:
        """The knowledge base's documents; with a scope, only those it may read (decided in the query)."""
        with self._sessions() as s:
            query = select(Document).where(Document.kb_id == kb_id).order_by(Document.created_at)
            return list(s.scalars(_readable(query, scope)))

    def readable_document_ids(self, scope: ReadScope) -> list[str]:
        """Ids of the documents the scope may read, for stores that filter by document (the graph)."""
        with self._sessions() as s:
            return list(s.scalars(_readable(select(Document.id), scope)))

    def find_readable_document(self, document_id: str, scope: ReadScope | None) -> Document | None:
        with self._sessions() as s:
            return s.scalar(_readable(select(Document).where(Document.id == document_id), scope))

    def set_document_readers(self, document_id: str, principals: list[str]) -> Document:
        """Replace who may read the document (the caller re-stamps its chunks)."""
        with self._sessions() as s:
            document = s.get(Document, document_id)
            if document is None:
                raise NotFound(f"document {document_id!r} not found")
            document.access_principals = list(principals)
            _set_readers(s, document_id, principals)
            s.commit()
            return document

    def delete_document(self, document_id: str) -> Document:
        with self._sessions() as s:
            document = s.get(Document, document_id)
            if document is None:
                raise NotFound(f"document {document_id!r} not found")
            s.delete(document)
            s.commit()
            return document

    def is_hash_referenced(self, digest: str) -> bool:
        """Whether a document's current upload or its searchable version is this original."""
        with self._sessions() as s:
            return s.scalar(select(Document.id).where(or_(Document.content_hash == digest,
                                                          Document.indexed_hash == digest)).limit(1)) is not None

    def referenced_hashes(self) -> set[str]:
        with self._sessions() as s:
            rows = s.execute(select(Document.content_hash, Document.indexed_hash))
            return {digest for row in rows for digest in row if digest}

    # -- originals no document refers to any more, kept for the retention period ---------------------
    def discard_file(self, digest: str) -> None:
        with self._sessions() as s:
            if s.get(DiscardedFile, digest) is None:
                s.add(DiscardedFile(content_hash=digest, discarded_at=utcnow()))
                try:
                    s.commit()
                except IntegrityError:  # discarded by a concurrent request
                    s.rollback()

    def discarded_files(self) -> list[DiscardedFile]:
        with self._sessions() as s:
            return list(s.scalars(select(DiscardedFile).order_by(DiscardedFile.discarded_at)))

    def forget_discarded_file(self, digest: str) -> None:
        with self._sessions() as s:
            s.execute(delete(DiscardedFile).where(DiscardedFile.content_hash == digest))
            s.commit()

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

    def mark_documents_indexed(self, indexed: list[tuple[str, str, int, int | None]]) -> set[str]:
        """(document id, digest, chunk count, page count) of several documents in one transaction (a batch of small
        jobs: one commit instead of one each); returns the ids recorded, as `mark_document_indexed`'s True."""
        recorded: set[str] = set()
        if not indexed:
            return recorded
        with self._sessions() as s:
            now = utcnow()
            for document_id, digest, chunk_count, page_count in indexed:
                if s.execute(update(Document).where(Document.id == document_id, Document.content_hash == digest)
                             .values(status=DocumentStatus.DONE.value, error=None, indexed_hash=digest,
                                     chunk_count=chunk_count, page_count=page_count, updated_at=now)).rowcount == 1:
                    recorded.add(document_id)
            s.commit()
        return recorded

    def get_documents(self, document_ids: list[str]) -> dict[str, Document]:
        """The documents that still exist among `document_ids`, by id, in one query."""
        if not document_ids:
            return {}
        with self._sessions() as s:
            return {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(document_ids)))}

    def is_version_live(self, document_id: str, digest: str) -> bool:
        """Whether the document still exists with `digest` as its searchable version."""
        with self._sessions() as s:
            return s.scalar(select(Document.id).where(Document.id == document_id,
                                                      Document.indexed_hash == digest)) is not None

    def live_versions(self, versions: list[tuple[str, str]]) -> set[str]:
        """Of the (document id, digest) pairs, the documents that still exist with that digest as their searchable
        version, in one query (a graph write of several documents checks them together)."""
        if not versions:
            return set()
        wanted = dict(versions)
        with self._sessions() as s:
            rows = s.execute(select(Document.id, Document.indexed_hash).where(Document.id.in_(list(wanted))))
            return {document_id for document_id, digest in rows if digest is not None and wanted[document_id] == digest}

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

    def get_jobs(self, job_ids: list[str]) -> list[IngestionJob]:
        """The jobs that still exist among `job_ids`, in one query (progress loops poll many at once)."""
        if not job_ids:
            return []
        with self._sessions() as s:
            return list(s.scalars(select(IngestionJob).where(IngestionJob.id.in_(job_ids))))

    def latest_jobs(self, document_ids: list[str]) -> dict[str, IngestionJob]:
        if not document_ids:
            return {}
        with self._sessions() as s:
            jobs = s.scalars(select(IngestionJob).where(IngestionJob.document_id.in_(document_ids))
                             .order_by(IngestionJob.created_at))
            return {job.document_id: job for job in jobs}

    def queue_positions(self, jobs: list[IngestionJob]) -> dict[str, int]:
        """For each pending job, how many pending jobs of its lane were queued before it."""
        positions: dict[str, int] = {}
        with self._sessions() as s:
            for job in jobs:
                if job.status == JobStatus.PENDING.value:
                    positions[job.id] = s.scalar(select(func.count()).select_from(IngestionJob).where(
                        IngestionJob.status == JobStatus.PENDING.value, IngestionJob.lane == job.lane,
                        IngestionJob.created_at < job.created_at)) or 0
        return positions

    def unfinished_job_ids(self) -> list[str]:
        """Jobs a crash or restart interrupted, oldest first: they are simply run again."""
        with self._sessions() as s:
            return list(s.scalars(
                select(IngestionJob.id)
                .where(IngestionJob.status.in_([JobStatus.PENDING.value, JobStatus.PROCESSING.value]))
                .order_by(IngestionJob.created_at)))

    def claim_job(self, job_id: str, worker: str = "", lease_seconds: float | None = None,
                  max_attempts: int | None = None) -> JobClaim:
        """Take the job for `worker` when nobody holds it: pending, or processing under a lease that ran out
        (its worker died). At most one worker holds a job at a time, so a redelivered message never runs it
        twice at once. A job that has used `max_attempts` is failed with its last error instead."""
        return self.claim_jobs([job_id], worker, lease_seconds, max_attempts)[0]

    def claim_jobs(self, job_ids: list[str], worker: str = "", lease_seconds: float | None = None,
                   max_attempts: int | None = None) -> list[JobClaim]:
        """`claim_job` for several jobs in one transaction (a batch of small jobs: one commit instead of one each);
        one claim per id, in order. Each job is claimed, found busy or gone on its own, as by `claim_job`."""
        now = utcnow()
        claims: list[JobClaim] = []
        reread: list[int] = []  # positions whose job row changed here: read again after the commit
        with self._sessions() as s:
            # The batch's rows in one query: each claim's `s.get` then finds its row in the session instead of a
            # query per job (80 one-document jobs: 80 statements fewer; the guarded updates are unchanged).
            if len(job_ids) > 1:
                s.scalars(select(IngestionJob).where(IngestionJob.id.in_(list(dict.fromkeys(job_ids))))).all()
            for job_id in job_ids:
                claim, changed = _claim_in(s, job_id, worker, lease_seconds, max_attempts, now)
                if changed:
                    reread.append(len(claims))
                claims.append(claim)
            s.commit()
        if reread:
            fresh = {job.id: job for job in self.get_jobs([job_ids[i] for i in reread])}
            for i in reread:
                claims[i].job = fresh.get(job_ids[i], claims[i].job)
        return claims

    def start_job(self, job_id: str) -> IngestionJob | None:
        """Claim the job with no lease and no attempt cap (single-process tools and tests)."""
        claim = self.claim_job(job_id)
        return claim.job if claim.outcome is ClaimOutcome.CLAIMED else None

    def renew_lease(self, job_id: str, worker: str, lease_seconds: float) -> bool:
        """Extend the worker's claim; False when the job was deleted, cancelled or taken over meanwhile."""
        with self._sessions() as s:
            renewed = s.execute(update(IngestionJob).where(*_held_by(job_id, worker))
                                .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))).rowcount
            s.commit()
            return renewed == 1

    def renew_leases(self, job_ids: list[str], worker: str, lease_seconds: float) -> set[str]:
        """`renew_lease` for several jobs in one transaction; returns the ids still this worker's."""
        kept: set[str] = set()
        if not job_ids:
            return kept
        with self._sessions() as s:
            until = utcnow() + timedelta(seconds=lease_seconds)
            for job_id in job_ids:
                if s.execute(update(IngestionJob).where(*_held_by(job_id, worker))
                             .values(lease_until=until)).rowcount == 1:
                    kept.add(job_id)
            s.commit()
        return kept

    def report_progress(self, job_id: str, stage: str, progress: float, detail: str = "",
                        worker: str | None = None) -> bool:
        """Record progress; False when the job is no longer this worker's (deleted, cancelled, taken over)."""
        return job_id in self.report_progress_many([(job_id, stage, progress, detail, worker)])

    def report_progress_many(self, reports: list[tuple[str, str, float, str, str | None]]) -> set[str]:
        """(job id, stage, progress, detail, worker) of several jobs in one transaction; returns the ids of those
        still their worker's (as `report_progress`)."""
        held_ids: set[str] = set()
        if not reports:
            return held_ids
        with self._sessions() as s:
            for job_id, stage, progress, detail, worker in reports:
                held = _held_by(job_id, worker) if worker else (IngestionJob.id == job_id,)
                if s.execute(update(IngestionJob).where(*held).values(
                        stage=stage, progress=round(min(max(progress, 0.0), 1.0), 4), detail=detail)).rowcount == 1:
                    held_ids.add(job_id)
            s.commit()
        return held_ids

    def finish_job(self, job_id: str, detail: str, worker: str | None = None) -> None:
        self.finish_jobs([(job_id, detail, worker)])

    def finish_jobs(self, ended: list[tuple[str, str, str | None]]) -> None:
        """(job id, detail, worker) of several jobs done together, in one transaction (one commit instead of one per
        job); each only while its worker holds it, as `finish_job`."""
        if not ended:
            return
        now = utcnow()
        with self._sessions() as s:
            for job_id, detail, worker in ended:
                held = _held_by(job_id, worker) if worker else (IngestionJob.id == job_id,)
                s.execute(update(IngestionJob).where(*held).values(
                    status=JobStatus.DONE.value, stage=JobStatus.DONE.value, finished_at=now, error=None,
                    lease_until=None, detail=detail, progress=1.0))
            s.commit()

    def fail_job(self, job_id: str, error: str, worker: str | None = None) -> None:
        self._end_job(job_id, JobStatus.FAILED, worker, error=error)

    def _end_job(self, job_id: str, status: JobStatus, worker: str | None, detail: str | None = None,
                 error: str | None = None, progress: float | None = None) -> None:
        values: dict = {"status": status.value, "stage": status.value, "finished_at": utcnow(), "error": error,
                        "lease_until": None}
        if detail is not None:
            values["detail"] = detail
        if progress is not None:
            values["progress"] = progress
        with self._sessions() as s:
            held = _held_by(job_id, worker) if worker else (IngestionJob.id == job_id,)
            s.execute(update(IngestionJob).where(*held).values(**values))
            s.commit()


class ClaimOutcome(str, Enum):
    CLAIMED = "claimed"  # the caller runs the job now
    BUSY = "busy"        # another worker holds it: ask again after `retry_after` seconds
    GONE = "gone"        # finished, failed (also: out of attempts) or deleted: nothing to do


@dataclass(slots=True)
class JobClaim:
    outcome: ClaimOutcome
    job: IngestionJob | None
    retry_after: float = 0.0


def _set_members(s: Session, kb_id: str, readers: list[str], admins: list[str]) -> None:
    for role, principals in ((KbRole.READER, readers), (KbRole.ADMIN, admins)):
        for principal in dict.fromkeys(principals):
            s.add(KnowledgeBaseMember(kb_id=kb_id, principal=principal, role=role.value))


def _set_readers(s: Session, document_id: str, principals: list[str], new_document: bool = False) -> None:
    """The document's reader rows; a document created in this transaction has none to delete first (the ORM's
    delete evaluates every object of the session: a tenth of an upload's SQL time, docs/profiles)."""
    if not new_document:
        s.execute(delete(DocumentReader).where(DocumentReader.document_id == document_id))
    for principal in dict.fromkeys(principals or [EVERYONE]):
        s.add(DocumentReader(document_id=document_id, principal=principal))


def _readable(query, scope: ReadScope | None):
    """`query` over Document narrowed to what the scope may read: its knowledge bases, and there the documents
    whose readers name one of its principals (or everyone), unless it administers the knowledge base."""
    if scope is None:
        return query
    query = query.where(Document.kb_id.in_(scope.kb_ids))
    if scope.principals is None:
        return query
    named = exists().where(DocumentReader.document_id == Document.id,
                           DocumentReader.principal.in_(scope.reader_names()))
    return query.where(or_(Document.kb_id.in_(scope.full_kb_ids), named) if scope.full_kb_ids else named)


def _held_by(job_id: str, worker: str) -> tuple:
    return (IngestionJob.id == job_id, IngestionJob.worker == worker,
            IngestionJob.status == JobStatus.PROCESSING.value)


def _claim_in(s: Session, job_id: str, worker: str, lease_seconds: float | None, max_attempts: int | None,
              now: datetime) -> tuple[JobClaim, bool]:
    """One job's claim inside the caller's transaction (MetadataStore.claim_jobs); True when it changed the job's
    row (claimed, or failed for having used its attempts)."""
    job = s.get(IngestionJob, job_id)
    if job is None or job.status in (JobStatus.DONE.value, JobStatus.FAILED.value):
        return JobClaim(ClaimOutcome.GONE, job), False
    lease_until = _aware(job.lease_until)
    if job.status == JobStatus.PROCESSING.value and lease_until is not None and lease_until > now:
        return JobClaim(ClaimOutcome.BUSY, job, (lease_until - now).total_seconds()), False
    error = job.error
    if job.status == JobStatus.PROCESSING.value:
        error = (f"attempt {job.attempts} stopped during {job.stage}"
                 f"{f' ({job.detail})' if job.detail else ''}: the process running it ended "
                 "(killed, out of memory or restarted)")
    # Only if nobody changed the row since it was read: the same guard on SQLite and PostgreSQL. A guard that
    # matches no row changes nothing, so the transaction's other claims stand.
    unchanged = (IngestionJob.id == job_id, IngestionJob.status == job.status,
                 IngestionJob.attempts == job.attempts)
    if max_attempts is not None and job.attempts >= max_attempts:
        reason = f"gave up after {job.attempts} attempts; the last one: {error or 'no error recorded'}"
        done = s.execute(update(IngestionJob).where(*unchanged).values(
            status=JobStatus.FAILED.value, stage=JobStatus.FAILED.value, error=reason, finished_at=now,
            lease_until=None)).rowcount
        if done:
            s.execute(update(Document).where(Document.id == job.document_id,
                                             Document.content_hash == job.content_hash)
                      .values(status=DocumentStatus.FAILED.value, error=reason, updated_at=now))
        return JobClaim(ClaimOutcome.GONE if done else ClaimOutcome.BUSY, job, 1.0), True
    lease = now + timedelta(seconds=lease_seconds) if lease_seconds else None
    claimed = s.execute(update(IngestionJob).where(*unchanged).values(
        status=JobStatus.PROCESSING.value, stage="parsing", progress=0.0, detail="", error=error,
        attempts=job.attempts + 1, started_at=now, worker=worker or None, lease_until=lease)).rowcount
    if not claimed:
        return JobClaim(ClaimOutcome.BUSY, job, 1.0), False
    s.execute(update(Document).where(Document.id == job.document_id, Document.content_hash == job.content_hash)
              .values(status=DocumentStatus.PROCESSING.value))
    return JobClaim(ClaimOutcome.CLAIMED, job), True


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)
