"""Originals no document refers to any more (deleted, replaced, or their knowledge base deleted) are removed from
the file store, at once or after ZHIKU_FILE_RETENTION_DAYS (kept meanwhile in the discarded_files table, so the
period counts from when they were let go, and a re-upload in between keeps the file)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from collections.abc import Iterable

from zhiku.core.file_store import FileStore
from zhiku.core.metadata_store import MetadataStore


class FileRetention:
    def __init__(self, metadata: MetadataStore, files: FileStore, retention_days: float = 0):
        self.metadata = metadata
        self.files = files
        self.retention = timedelta(days=retention_days)

    def release(self, digests: Iterable[str]) -> None:
        """These originals may have lost their last document: remove (or schedule) those that did."""
        for digest in set(digests):
            if not digest or self.metadata.is_hash_referenced(digest):
                continue
            self.files.delete_derived(digest)  # a kept original is for restoring; its preview text goes now
            if self.retention:
                self.metadata.discard_file(digest)
            else:
                self.files.delete(digest)

    def purge(self, now: datetime | None = None) -> list[str]:
        """Remove the discarded originals whose retention has passed; returns their digests."""
        now = now or datetime.now(timezone.utc)
        removed = []
        for record in self.metadata.discarded_files():
            discarded_at = record.discarded_at if record.discarded_at.tzinfo else \
                record.discarded_at.replace(tzinfo=timezone.utc)  # SQLite returns naive datetimes
            if discarded_at + self.retention > now:
                continue
            if not self.metadata.is_hash_referenced(record.content_hash):
                self.files.delete(record.content_hash)
                removed.append(record.content_hash)
            self.metadata.forget_discarded_file(record.content_hash)
        return removed
