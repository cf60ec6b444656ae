"""One ingestion job: original bytes → parsed blocks → chunks → vectors → live in the index.

Failure at any step leaves nothing of the new version in the index; the previous version of the
document (if any) stays searchable until the new one is complete.
"""
from __future__ import annotations

import logging
import time

from core.errors import ZhikuError
from core.file_store import FileStore
from core.metadata_store import MetadataStore
from index.indexer import DocumentRef, Indexer
from ingest.chunker import StructuredChunker
from ingest.parsing import parse_document

log = logging.getLogger(__name__)


class IngestionPipeline:
    def __init__(self, metadata: MetadataStore, files: FileStore, chunker: StructuredChunker, indexer: Indexer):
        self.metadata = metadata
        self.files = files
        self.chunker = chunker
        self.indexer = indexer

    def run(self, job_id: str) -> None:
        job = self.metadata.start_job(job_id)
        if job is None:
            return
        try:
            document = self.metadata.get_document(job.document_id)
        except ZhikuError:
            self.metadata.fail_job(job_id, "the document was deleted before it could be ingested")
            return
        if document.content_hash != job.content_hash:
            self.metadata.fail_job(job_id, "superseded by a newer upload of the same document")
            return
        ref = DocumentRef(document.kb_id, document.id, job.content_hash, document.name, document.file_type,
                          list(document.access_principals or ["*"]))
        started = time.perf_counter()
        try:
            data = self.files.read(job.content_hash)
            _, parsed = parse_document(data, document.name)
            chunks = self.chunker.chunk(parsed)
            self.metadata.report_progress(job_id, "embedding", 0.05, f"0/{len(chunks)} chunks")

            def on_progress(done: int, total: int) -> None:
                self.metadata.report_progress(job_id, "embedding", 0.05 + 0.9 * done / max(total, 1),
                                              f"{done}/{total} chunks")

            written = self.indexer.index(ref, chunks, on_progress=on_progress)
            self.metadata.report_progress(job_id, "indexing", 0.97, f"{written} chunks written")
            if not self.metadata.mark_document_indexed(document.id, job.content_hash, written, parsed.page_count):
                self.indexer.discard(document.id, job.content_hash)
                self.metadata.fail_job(job_id, "the document was deleted or replaced while it was being ingested")
                return
            self.indexer.make_live(ref)
        except Exception as exc:  # noqa: BLE001 - every failure must end the job readably
            reason = exc.message if isinstance(exc, ZhikuError) else f"internal error: {type(exc).__name__}: {exc}"
            if not isinstance(exc, ZhikuError):
                log.exception("ingestion job %s failed", job_id)
            self._discard_quietly(document.id, job.content_hash, document.indexed_hash)
            self.metadata.mark_document_failed(document.id, job.content_hash, reason)
            self.metadata.fail_job(job_id, reason)
            return
        seconds = time.perf_counter() - started
        self.metadata.finish_job(job_id, f"{written} chunks in {seconds:.1f} s")

    def _discard_quietly(self, document_id: str, version: str, live_version: str | None) -> None:
        if version == live_version:
            return  # the same content is already live from an earlier job: keep it
        try:
            self.indexer.discard(document_id, version)
        except Exception:  # noqa: BLE001 - the job is failing already; the next run cleans up
            log.exception("could not discard partial chunks of %s@%s", document_id, version[:12])
