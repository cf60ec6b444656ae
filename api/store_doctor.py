"""`zhiku doctor`: are the metadata store, the file store, the vector index and the knowledge graph consistent?

Each finding says what is wrong, how many, and whether `--repair` fixes it:
- originals in the file store that no document refers to (left by a crash between steps): removed, or discarded
  for ZHIKU_FILE_RETENTION_DAYS; discarded ones past their retention: removed;
- documents whose original is missing from the file store: reported (upload the file again);
- preview texts kept beside originals no document refers to (a document deleted while its preview was read):
  removed;
- vectors of documents the metadata store does not know, or of versions that are no longer live: deleted;
- documents marked searchable whose vectors are missing: queued for ingestion again;
- graph chunks of documents that no longer exist: removed with the facts only they supported;
- a data folder other users can read: made owner-only (0700).
Scanning the vector index reads every point's payload: run it in a quiet hour on a large index.
"""
from __future__ import annotations

import stat
import time
from collections import defaultdict
from dataclasses import dataclass, field

from zhiku.api.knowledge_service import KnowledgeService
from zhiku.core.models import DocumentStatus
from zhiku.index.vector_store import ChunkFilter


@dataclass
class Finding:
    code: str
    message: str
    items: list[str] = field(default_factory=list)
    repairable: bool = True
    repaired: bool = False


# Beside a running service (GET /admin/doctor), an original younger than this may be an upload whose document row
# is being written: not an orphan yet.
LIVE_GRACE_SECONDS = 600


class StoreDoctor:
    """`live`: the service runs while it checks (the server's own doctor): documents with an unfinished ingestion
    job (their new version is being written beside the live one) and originals younger than LIVE_GRACE_SECONDS
    are left out, so a repair never takes what is in the middle of being written."""

    def __init__(self, service: KnowledgeService, live: bool = False):
        self.service = service
        self.rt = service.rt
        self.live = live

    def _busy_documents(self) -> set[str]:
        """Documents whose ingestion has not finished (their stores are expected to disagree meanwhile)."""
        return {job.document_id for job in self.rt.metadata.get_jobs(self.rt.metadata.unfinished_job_ids())}

    def _young_originals(self, digests: set[str]) -> set[str]:
        if not self.live:
            return set()
        now = time.time()
        young = set()
        for digest in digests:
            try:
                if now - self.rt.files.path(digest).stat().st_mtime < LIVE_GRACE_SECONDS:
                    young.add(digest)
            except FileNotFoundError:
                continue
        return young

    def examine(self, repair: bool = False) -> list[Finding]:
        findings = [*self._files(repair), *self._vectors(repair), *self._graph(repair), *self._permissions(repair)]
        return [finding for finding in findings if finding.items]

    # -- the file store -----------------------------------------------------------------------------------
    def _files(self, repair: bool) -> list[Finding]:
        referenced = self.rt.metadata.referenced_hashes()
        stored = self.rt.files.digests()
        discarded = {record.content_hash for record in self.rt.metadata.discarded_files()}
        unreferenced = stored - referenced - discarded
        orphans = Finding("orphan_originals", "originals no document refers to",
                          sorted(unreferenced - self._young_originals(unreferenced)))
        missing = Finding("missing_originals", "documents whose original file is missing (upload it again)",
                          [f"{document.id} {document.name}" for document in self._documents()
                           if document.content_hash not in stored], repairable=False)
        expired = Finding("expired_discarded", "discarded originals past ZHIKU_FILE_RETENTION_DAYS", [])
        previews = Finding("orphan_text_previews", "kept preview texts of originals no document refers to",
                           sorted(self.rt.files.derived_digests() - referenced))
        if repair:
            self.rt.retention.release(orphans.items)
            orphans.repaired = bool(orphans.items)
            for digest in previews.items:
                self.rt.files.delete_derived(digest)
            previews.repaired = bool(previews.items)
            expired.items = self.rt.retention.purge()
            expired.repaired = bool(expired.items)
        return [orphans, missing, expired, previews]

    # -- the vector index ---------------------------------------------------------------------------------
    def _vectors(self, repair: bool) -> list[Finding]:
        store = self.rt.vector_store
        total = store.count(ChunkFilter())
        versions: dict[str, set[str]] = defaultdict(set)
        for point in store.fetch(ChunkFilter(), total):
            versions[point.payload.get("document_id", "")].add(point.payload.get("version", ""))
        busy = self._busy_documents()
        documents = {document.id: document for document in self._documents()}
        versions = {doc_id: found for doc_id, found in versions.items() if doc_id not in busy}
        documents = {doc_id: document for doc_id, document in documents.items() if doc_id not in busy}
        unknown = Finding("orphan_vectors", "documents in the vector index that the metadata store does not know",
                          sorted(set(versions) - set(documents)))
        stale = Finding("stale_versions", "documents with vectors of versions that are not live",
                        sorted(doc_id for doc_id, found in versions.items() if doc_id in documents
                               and found - {documents[doc_id].indexed_hash}))
        lost = Finding("missing_vectors", "searchable documents without vectors (queued again on repair)",
                       sorted(doc_id for doc_id, document in documents.items()
                              if document.status == DocumentStatus.DONE.value and document.chunk_count
                              and documents[doc_id].indexed_hash not in versions.get(doc_id, set())))
        if repair:
            for document_id in unknown.items:
                store.delete(ChunkFilter(document_ids=[document_id]))
            for document_id in stale.items:
                store.delete(ChunkFilter(document_ids=[document_id], exclude_version=documents[document_id].indexed_hash))
            for document_id in lost.items:
                self.service.reindex_document(document_id)
            for finding in (unknown, stale, lost):
                finding.repaired = bool(finding.items)
        return [unknown, stale, lost]

    # -- the knowledge graph ------------------------------------------------------------------------------
    def _graph(self, repair: bool) -> list[Finding]:
        graph = self.rt.graph_store
        if graph is None:
            return []
        known = {document.id for document in self._documents()}
        gone = Finding("orphan_graph_chunks", "documents in the knowledge graph that no longer exist",
                       sorted(graph.document_ids() - known))
        if repair:
            for document_id in gone.items:
                graph.remove_document(document_id)
            gone.repaired = bool(gone.items)
        return [gone]

    # -- permissions --------------------------------------------------------------------------------------
    def _permissions(self, repair: bool) -> list[Finding]:
        folder = self.rt.settings.data_dir
        mode = stat.S_IMODE(folder.stat().st_mode)
        finding = Finding("data_dir_readable", "the data folder can be read by other users (originals, index, "
                          "the graph server's password)", [f"{folder} ({mode:o})"] if mode & 0o077 else [])
        if repair and finding.items:
            folder.chmod(0o700)
            finding.repaired = True
        return [finding]

    def _documents(self):
        return [document for kb in self.rt.metadata.list_kbs() for document in self.rt.metadata.list_documents(kb.id)]
