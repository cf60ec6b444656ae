"""One ingestion job: original bytes → parsed blocks → chunks → vectors → live in the index.

Failure at any step leaves nothing of the new version in the index; the previous version of the
document (if any) stays searchable until the new one is complete.
"""
from __future__ import annotations

import logging
import time

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from zhiku.core.errors import ZhikuError
from zhiku.core.file_retention import FileRetention
from zhiku.core.file_store import FileStore
from zhiku.core.metadata_store import MetadataStore
from zhiku.core.models import Document, IngestionJob, KnowledgeBase
from zhiku.core.types import Chunk
from zhiku.index.indexer import DocumentRef, Indexer
from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker
from zhiku.ingest.file_types import FileType
from zhiku.ingest.parse_context import ParseContext
from zhiku.guardrails.embedding_detector import shares_model
from zhiku.guardrails.injection import detect_injections
from zhiku.ingest.parse_limits import JobBudget, check_count
from zhiku.ingest.parsing import parse_document

log = logging.getLogger(__name__)


# Shares of the progress bar: parsing dominates for scans and recordings (OCR, speech-to-text); the graph
# stage follows once the document is searchable.
_PARSE_SHARE = 0.45
_EMBED_END = 0.85
_GRAPH_START = 0.88
ParseContextFactory = Callable[[], ParseContext]
_STREAMED_TYPES = {FileType.AUDIO.value, FileType.VIDEO.value}
_REPORT_INTERVAL_S = 1.0


class JobCancelled(Exception):
    """The job stopped being this worker's while it ran: its document was deleted, or its lease was lost."""


class GraphBuildResult(Protocol):
    entities: int
    relations: int
    error: Exception | None


class GraphBuilder(Protocol):
    """Turns a live document version's chunks into knowledge-graph facts (graph/graph_builder.py)."""

    def build_many(self, documents: Sequence[tuple[DocumentRef, list[Chunk]]],
                   on_progress: Callable[[int, int], None] | None = None) -> list[GraphBuildResult]: ...

    def remove_document(self, document_id: str) -> None: ...


def flag_injections(documents: Sequence[list[Chunk]], embed_passages=None) -> list[int]:
    """Mark the chunks whose section holds an instruction aimed at a model (the whole section: it is what the
    answerer reads around a matched chunk); returns how many per document. The documents' sections are read
    together (one pass of the embedding model for all of them). `embed_passages`: the index's embedder when it is
    the injection detector's embedding model (the same vectors, without a second model instance).

    The whole-text stage reads a section through its chunks' embedding texts — the strings the index embeds next —
    so with the index's caching embedder each chunk is run through the model once, here or in the index, and the
    stage's whole-text vector is the chunks' own (docs/benchmarks.md, issue #14: the stage's second embedding of
    the text was the largest cost of ingestion beside the chunks' model)."""
    parts: dict[str, list[str]] = {}
    for chunks in documents:
        for chunk in chunks:
            section = parts.setdefault(chunk.parent_text or chunk.text, [])
            if chunk.embedding_text not in section:
                section.append(chunk.embedding_text)
    sections = list(parts)
    findings = detect_injections(sections, embed_passages, [parts[s] for s in sections])
    verdicts = {section: [f"prompt injection: {finding.reason}: {finding.excerpt}"] if finding else []
                for section, finding in zip(sections, findings)}
    for chunks in documents:
        for chunk in chunks:
            chunk.guardrail_flags = verdicts[chunk.parent_text or chunk.text]
    return [sum(1 for chunk in chunks if chunk.guardrail_flags) for chunks in documents]


class IngestionPipeline:
    def __init__(self, metadata: MetadataStore, files: FileStore, chunker: StructuredChunker, indexer: Indexer,
                 parse_context: ParseContextFactory = ParseContext, default_language: str | None = None,
                 graph: GraphBuilder | None = None, max_chunks: int = 20_000, time_budget_s: float = 7200,
                 retention: FileRetention | None = None):
        self.metadata = metadata
        self.files = files
        self.chunker = chunker
        self.indexer = indexer
        self.parse_context = parse_context
        self.default_language = default_language
        self.graph = graph
        self.max_chunks = max_chunks  # per document (ZHIKU_MAX_DOCUMENT_CHUNKS)
        self.time_budget_s = time_budget_s  # parsing, chunking and embedding (ZHIKU_JOB_TIME_BUDGET_MINUTES)
        # Originals a replacement leaves behind are removed (or scheduled for removal) here.
        self.retention = retention or FileRetention(metadata, files)
        # The injection detector's embedding stage reads sentences with the index's own model when it is the same
        # one: no second instance to load inside the first job, two threads instead of one, and the embedding
        # cache (docs/profiles: the stage's own instance was 4% of a job on rgb_zh passages).
        embedder = getattr(indexer, "embedder", None)
        self._injection_embed = embedder.embed_passages if shares_model(embedder) else None

    def run(self, job: IngestionJob, worker: str | None = None,
            defer: Callable[[GraphStage], None] | None = None) -> None:
        """Run a job the caller has claimed (MetadataStore.claim_job) as `worker`.

        Every progress report also checks that the job is still this worker's: when its document is
        deleted (or the job taken over after a lost lease) the job stops at the next report and removes
        what it wrote.

        `defer`: when given, the job's last part — the graph stage, which runs once the document is searchable,
        then finishing the job — is handed to it as a `GraphStage` instead of being run here, so the caller can
        start parsing and embedding the next job meanwhile and later pass it, with others, to `finish`
        (ingest/job_runner.py). The job stays `processing` (and its lease must be kept) until `finish` has run it:
        a crash before then runs the job again.
        """
        prepared = self.prepare(job, worker)
        if prepared is not None:
            self.complete([prepared], defer)

    def prepare(self, job: IngestionJob, worker: str | None = None,
                reads: BatchReads | None = None) -> PreparedJob | None:
        """A claimed job's first part: its document checked, parsed and chunked. None when the job has ended here
        (failed, superseded, cancelled); else pass it, alone or with other jobs' (`complete`), on to be read for
        injected instructions, embedded and made searchable. `reads`: its batch's documents and knowledge bases,
        read once for all of its jobs (`BatchReads`), instead of two reads per job."""
        job_id = job.id
        if reads is not None:
            document = reads.document(job.document_id)
        else:
            try:
                document = self.metadata.get_document(job.document_id)
            except ZhikuError:
                document = None
        if document is None:
            self.metadata.fail_job(job_id, "the document was deleted before it could be ingested", worker)
            return None
        if document.content_hash != job.content_hash:
            self.metadata.fail_job(job_id, "superseded by a newer upload of the same document", worker)
            self.retention.release({job.content_hash})
            return None

        report = ProgressReports(self.metadata, job_id, worker)
        ref = DocumentRef(document.kb_id, document.id, job.content_hash, document.name, document.file_type,
                          list(document.access_principals or ["*"]))
        prepared = PreparedJob(job, worker, document, ref, report, JobBudget(document.name, self.time_budget_s),
                               time.perf_counter())
        try:
            # Recordings are decoded by ffmpeg from the stored file: only their head is read here, so a
            # three-hour recording never sits in memory whole.
            streamed = document.file_type in _STREAMED_TYPES
            data = self.files.read_head(job.content_hash) if streamed else self.files.read(job.content_hash)
            budget = prepared.budget
            context = self.parse_context()
            # read once: its language and its chunking
            kb = reads.kb(document.kb_id) if reads is not None else self.metadata.find_kb(document.kb_id)
            context.language = document.language or _kb_language(kb) or self.default_language
            context.source_path = self.files.path(job.content_hash)
            context.checkpoint = budget.check

            def on_parse_progress(stage: str, fraction: float, detail: str) -> None:
                budget.check()
                report(stage, _PARSE_SHARE * fraction, detail)

            context.progress = on_parse_progress
            _, parsed = parse_document(data, document.name, context)
            del data  # a long recording's bytes need not stay in memory while its chunks are embedded
            prepared.page_count = parsed.page_count
            chunks = self._chunker_for(kb).chunk(parsed)
            check_count(document.name, len(chunks), self.max_chunks, "chunks", "ZHIKU_MAX_DOCUMENT_CHUNKS")
            prepared.chunks = chunks
            budget.check()
            report("embedding", _PARSE_SHARE, f"0/{len(chunks)} chunks")
        except Exception as exc:  # noqa: BLE001 - every failure must end the job readably
            self._end_with(prepared, exc)
            return None
        return prepared

    def complete(self, batch: Sequence[PreparedJob], defer: Callable[[GraphStage], None] | None = None) -> None:
        """Prepared jobs' chunks read for injected instructions, embedded and written together (one pass of the model
        over all of them: small documents fill its batches; docs/profiles), each document then made searchable on its
        own, and their graph stages run together (`finish`) or handed to `defer` one by one. A document whose
        indexing fails fails alone: when the batch's write fails, its documents are indexed again one by one, so only
        the one at fault ends failed."""
        indexed = self._index(self._flag(list(batch)))
        stages = self._publish(indexed)
        if defer is not None and self.graph is not None:
            for stage in stages:
                defer(stage)
        elif stages:
            self.finish(stages)

    def _flag(self, batch: list[PreparedJob]) -> list[PreparedJob]:
        """The batch's chunks read for injected instructions together (flag_injections); returns the jobs to go on
        with. Should that fail, each document is read alone, so only the one at fault ends failed."""
        try:
            for p, flagged in zip(batch, flag_injections([p.chunks for p in batch], self._injection_embed)):
                p.flagged = flagged
            return batch
        except Exception as exc:  # noqa: BLE001 - whose document? one by one below
            if len(batch) == 1:
                self._end_with(batch[0], exc)
                return []
            log.warning("reading %d documents for injected instructions failed (%r): one by one", len(batch), exc)
            return [kept for p in batch for kept in self._flag([p])]

    def _index(self, batch: list[PreparedJob]) -> list[PreparedJob]:
        """The batch's documents embedded and written (not yet live); returns those that were, the others ended."""
        if not batch:
            return []
        dropped: dict[str, Exception] = {}  # job id → why it leaves the batch (cancelled, over its time budget)
        total = sum(len(p.chunks) for p in batch)

        def on_progress(done: int, total_: int) -> None:
            due = []
            for p in batch:
                if p.job.id in dropped:
                    continue
                try:
                    p.budget.check()
                except ZhikuError as exc:
                    dropped[p.job.id] = exc
                    continue
                if p.report.due():
                    due.append(p)
            if due:
                fraction = _PARSE_SHARE + (_EMBED_END - _PARSE_SHARE) * done / max(total_, 1)
                detail = (f"{done}/{total_} chunks" if len(batch) == 1
                          else f"{done}/{total_} chunks of {len(batch)} documents embedded together")
                held = self.metadata.report_progress_many([(p.job.id, "embedding", fraction, detail, p.worker)
                                                           for p in due])
                for p in due:
                    p.report.written()
                    if p.job.id not in held:
                        dropped[p.job.id] = JobCancelled(f"job {p.job.id} was cancelled (its document was deleted "
                                                         "or it was taken over)")
            if len(dropped) == len(batch):
                raise next(iter(dropped.values()))  # nothing left to embed for: stop at once

        try:
            self.indexer.index_many([(p.ref, p.chunks) for p in batch], on_progress=on_progress)
        except Exception as exc:  # noqa: BLE001 - whose document? one by one below
            if len(batch) == 1 or len(dropped) == len(batch):
                for p in batch:
                    self._end_with(p, dropped.get(p.job.id, exc))
                return []
            log.warning("indexing %d documents together failed (%r): indexing them one by one", len(batch), exc)
            done = []
            for p in batch:
                if p.job.id in dropped:
                    self._end_with(p, dropped[p.job.id])
                else:
                    done += self._index([p])
            return done
        for p in batch:
            if p.job.id in dropped:
                self._end_with(p, dropped[p.job.id])
            else:
                p.written = len(p.chunks)
        return [p for p in batch if p.job.id not in dropped]

    def _publish(self, batch: list[PreparedJob]) -> list[GraphStage]:
        """Each written document made live (recorded in one metadata transaction, then its other versions deleted);
        returns their graph stages."""
        if not batch:
            return []
        if len(batch) == 1:  # a large document's last report before it is live (a batch's are all small)
            try:
                batch[0].report("indexing", _EMBED_END + 0.01, f"{batch[0].written} chunks written")
            except JobCancelled as exc:
                self._end_with(batch[0], exc)
                return []
        try:
            recorded = self.metadata.mark_documents_indexed(
                [(p.document.id, p.job.content_hash, p.written, p.page_count) for p in batch])
            current = self.metadata.get_documents([p.document.id for p in batch])
        except Exception as exc:  # noqa: BLE001 - the database: every job of the batch ends failed, readably
            for p in batch:
                self._end_with(p, exc)
            return []
        stages = []
        for p in batch:
            job_id, document = p.job.id, p.document
            try:
                if document.id not in recorded:
                    self.indexer.discard(document.id, p.job.content_hash)
                    self.metadata.fail_job(job_id, "the document was deleted or replaced while it was being ingested",
                                           p.worker)
                    self.retention.release({p.job.content_hash})
                    continue
                self.indexer.make_live(p.ref)
                # Readers changed while the chunks were being written: stamp the current ones (issue #11).
                now = current.get(document.id)
                readers = list((now.access_principals if now is not None else None) or ["*"])
                if readers != p.ref.access_principals:
                    self.indexer.store.set_access(document.id, readers)
                if document.indexed_hash and document.indexed_hash != p.job.content_hash:
                    self.retention.release({document.indexed_hash})  # the version this one replaced
            except Exception as exc:  # noqa: BLE001 - this document's failure, not the batch's
                self._end_with(p, exc)
                continue
            stages.append(GraphStage(job_id, p.worker, p.ref, p.chunks, p.written, p.flagged, p.started, p.report))
        return stages

    def _end_with(self, p: PreparedJob, exc: BaseException) -> None:
        """A job that stops before its document is searchable: cancelled (what it wrote goes if its document was
        deleted) or failed (what it wrote goes, the error is recorded on the job and the document)."""
        job_id, document = p.job.id, p.document
        if isinstance(exc, JobCancelled):
            log.info("ingestion job %s cancelled", job_id)
            self._remove_if_deleted(document.id)
            return
        reason = exc.message if isinstance(exc, ZhikuError) else f"internal error: {type(exc).__name__}: {exc}"
        if not isinstance(exc, ZhikuError):
            log.error("ingestion job %s failed", job_id, exc_info=exc)
        self._discard_quietly(document.id, p.job.content_hash, document.indexed_hash)
        self.metadata.mark_document_failed(document.id, p.job.content_hash, reason)
        self.metadata.fail_job(job_id, reason, p.worker)
        self.retention.purge()

    def finish(self, stages: Sequence[GraphStage]) -> None:
        """The graph stage and the end of jobs whose documents are searchable: their facts written together (the
        graph builder packs small documents into one transaction), the jobs ended in one metadata transaction. Each
        stage's `after` callbacks run once its job has ended, whatever happened."""
        try:
            for group in _one_version_each(stages):
                details = self._build_graphs(group) if self.graph is not None else {}
                ended = []
                for stage in group:
                    seconds = time.perf_counter() - stage.started
                    flag_detail = (f"; {stage.flagged} flagged as possible prompt injection (not used as evidence)"
                                   if stage.flagged else "")
                    ended.append((stage.job_id, f"{stage.written} chunks in {seconds:.1f} s{flag_detail}"
                                                f"{details.get(stage.job_id, '')}", stage.worker))
                self.metadata.finish_jobs(ended)
            self.retention.purge()
        finally:
            for stage in stages:
                for callback in stage.after:
                    callback()

    def _build_graphs(self, stages: list[GraphStage]) -> dict[str, str]:
        """Job id → the graph part of its detail. The documents are searchable already; a graph failure is reported
        in its job, not fatal to it."""
        assert self.graph is not None
        cancelled: set[str] = set()
        details: dict[str, str] = {}

        def report_all(fraction_of: Callable[[GraphStage], tuple[float, str]]) -> None:
            """The reports of every job due one, in one transaction (one commit per job was most of the graph
            thread's SQL when its writes outlasted the report interval, docs/profiles); a job no longer its
            worker's is cancelled, as by its own report."""
            due = [stage for stage in stages if stage.job_id not in cancelled and stage.report.due()]
            if due:
                held = self.metadata.report_progress_many([(stage.job_id, "graph", *fraction_of(stage), stage.worker)
                                                           for stage in due])
                for stage in due:
                    stage.report.written()
                    if stage.job_id not in held:
                        log.info("ingestion job %s cancelled in its graph stage", stage.job_id)
                        cancelled.add(stage.job_id)
            if len(cancelled) == len(stages):
                raise JobCancelled("every job of the graph write was cancelled")

        def on_progress(done: int, total: int) -> None:
            share = _GRAPH_START + (1 - _GRAPH_START) * done / max(total, 1)
            report_all(lambda stage: (share, f"{done}/{total} chunks"))

        building = stages
        try:
            report_all(lambda stage: (_GRAPH_START, f"0/{len(stage.chunks)} chunks"))  # the stage's first report
            building = [stage for stage in stages if stage.job_id not in cancelled]
            results = self.graph.build_many([(stage.ref, stage.chunks) for stage in building], on_progress=on_progress)
            written = [(stage, result) for stage, result in zip(building, results) if stage.job_id not in cancelled]
            live = self.metadata.live_versions([(stage.ref.document_id, stage.ref.version) for stage, _ in written])
            for stage, result in written:
                if result.error is not None:
                    log.error("graph stage of job %s failed: %r", stage.job_id, result.error)
                    details[stage.job_id] = _graph_failure(result.error)
                elif stage.ref.document_id not in live:
                    self.graph.remove_document(stage.ref.document_id)  # deleted or replaced meanwhile: leave no facts
                else:
                    details[stage.job_id] = f"; graph: {result.entities} entities, {result.relations} relations"
        except JobCancelled:
            pass
        except Exception as exc:  # noqa: BLE001 - the vectors are live; say what failed and how to retry
            log.exception("graph stage of jobs %s failed", ", ".join(stage.job_id for stage in building))
            for stage in building:
                details.setdefault(stage.job_id, _graph_failure(exc))
        for stage in stages:
            if stage.job_id in cancelled:
                details[stage.job_id] = ""
                self._remove_if_deleted(stage.ref.document_id)
        return details

    def _chunker_for(self, kb: KnowledgeBase | None) -> StructuredChunker:
        """The knowledge base's own chunking when it sets one, else the service's."""
        if kb is None or (kb.chunk_size is None and kb.chunk_overlap is None):
            return self.chunker
        default = self.chunker.config
        size = kb.chunk_size or default.chunk_size
        overlap = kb.chunk_overlap if kb.chunk_overlap is not None else min(default.chunk_overlap, size // 4)
        return StructuredChunker(ChunkingConfig(size, overlap, max(default.parent_chunk_size, size)))

    def _remove_if_deleted(self, document_id: str) -> None:
        """After a cancellation: chunks and facts written since the document was deleted go too. A job that was
        only taken over leaves everything to the worker that now holds it (it writes the same points)."""
        try:
            self.metadata.get_document(document_id)
            return
        except ZhikuError:
            pass
        try:
            self.indexer.remove_document(document_id)
            if self.graph is not None:
                self.graph.remove_document(document_id)
        except Exception:  # noqa: BLE001 - `zhiku doctor` finds what a failed clean-up leaves
            log.exception("could not remove what the cancelled job wrote for deleted document %s", document_id)

    def _discard_quietly(self, document_id: str, version: str, live_version: str | None) -> None:
        if version == live_version:
            return  # the same content is already live from an earlier job: keep it
        try:
            self.indexer.discard(document_id, version)
        except Exception:  # noqa: BLE001 - the job is failing already; the next run cleans up
            log.exception("could not discard partial chunks of %s@%s", document_id, version[:12])


class ProgressReports:
    """A job's progress reports, each doubling as the check that the job is still this worker's (JobCancelled).

    At most one write a second: a small document passes through every stage within a second, and each report is a
    committed transaction (docs/profiles: commits were 7% of a job's time on SQLite) — so a document done within a
    second writes none (a deletion meanwhile is caught by mark_document_indexed). The claim wrote the job's first
    state (parsing, 0%): the first report comes a second after it."""

    def __init__(self, metadata: MetadataStore, job_id: str, worker: str | None):
        self._metadata, self._job_id, self._worker = metadata, job_id, worker
        self._last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self._last >= _REPORT_INTERVAL_S

    def written(self) -> None:
        """A report of this job was written by someone else (several jobs' in one transaction)."""
        self._last = time.monotonic()

    def __call__(self, stage: str, fraction: float, detail: str) -> None:
        if not self.due():
            return
        self.written()
        if not self._metadata.report_progress(self._job_id, stage, fraction, detail, self._worker):
            raise JobCancelled(f"job {self._job_id} was cancelled (its document was deleted or it was taken over)")


class BatchReads:
    """What the jobs of one batch read before they are parsed, read once for all of them: their documents (one
    query, at the batch's start) and their knowledge bases (once each). Per job these were two sessions and three
    queries (the knowledge base with its members), the largest part of `prepare` for a one-chunk document
    (docs/profiles). A document deleted or replaced after this read is caught where every job catches it, when
    its version is made live (`mark_documents_indexed`)."""

    def __init__(self, metadata: MetadataStore, jobs: Sequence[IngestionJob]):
        self._metadata = metadata
        self._documents = metadata.get_documents(list(dict.fromkeys(job.document_id for job in jobs)))
        self._kbs: dict[str, KnowledgeBase | None] = {}

    def document(self, document_id: str) -> Document | None:
        return self._documents.get(document_id)

    def kb(self, kb_id: str) -> KnowledgeBase | None:
        if kb_id not in self._kbs:
            self._kbs[kb_id] = self._metadata.find_kb(kb_id)
        return self._kbs[kb_id]


@dataclass(eq=False)
class PreparedJob:
    """A claimed job whose document is parsed and chunked, waiting to be embedded (`IngestionPipeline.complete`)."""
    job: IngestionJob
    worker: str | None
    document: Document
    ref: DocumentRef
    report: ProgressReports
    budget: JobBudget
    started: float
    chunks: list[Chunk] = field(default_factory=list)
    flagged: int = 0
    page_count: int | None = None
    written: int = 0


@dataclass(eq=False)
class GraphStage:
    """A job whose document is searchable, waiting for its graph stage and its end (`IngestionPipeline.finish`)."""
    job_id: str
    worker: str | None
    ref: DocumentRef
    chunks: list[Chunk]
    written: int
    flagged: int
    started: float
    report: ProgressReports
    after: list[Callable[[], None]] = field(default_factory=list)  # run once the job has ended (its lease released)


def _one_version_each(stages: Sequence[GraphStage]) -> list[list[GraphStage]]:
    """Consecutive groups in which each document appears once: two versions of a document in one graph write would
    be written as one, and the older one's "not live any more" clean-up would remove the newer one's facts."""
    groups: list[list[GraphStage]] = []
    seen: set[str] = set()
    for stage in stages:
        if not groups or stage.ref.document_id in seen:
            groups.append([])
            seen = set()
        groups[-1].append(stage)
        seen.add(stage.ref.document_id)
    return groups


def _kb_language(kb: KnowledgeBase | None) -> str | None:
    language = kb.language if kb is not None else None
    return language.strip().lower().replace("_", "-").split("-")[0] if language else None


def _graph_failure(exc: BaseException) -> str:
    reason = exc.message if isinstance(exc, ZhikuError) else f"{type(exc).__name__}: {exc}"
    return f"; graph extraction FAILED ({reason}); re-index the document to retry"
