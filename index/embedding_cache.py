"""Embeddings cached by (model, sha256 of text), so unchanged text is never embedded twice.

Re-ingesting a document, re-running an eval variant or rebuilding the index after a crash costs only
the new text. SQLite in WAL mode: safe for the API's threads and for a concurrent `zhiku eval`.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import numpy as np

from zhiku.index.embedder import Embedder
from zhiku.index.query_embedding import QueryEmbedding


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=60)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # A cache: a power cut may lose its last entries (they are embedded again), never corrupt it; no
            # fsync on each job's commit (docs/profiles: SQLite commits were 5% of a one-chunk job).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, text_sha256 TEXT NOT NULL, "
                "dim INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, text_sha256))"
            )
            self._db.commit()

    def get_many(self, model_id: str, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                batch = keys[i:i + 500]
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT text_sha256, vector FROM embeddings WHERE model=? AND text_sha256 IN ({marks})",
                    [model_id, *batch],
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model_id: str, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)",
                [(model_id, key, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes())
                 for key, v in items.items()],
            )
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachingEmbedder:
    """Wraps an Embedder: passages come from the cache when known, the rest are embedded and stored. Queries go
    their own way (QueryEmbedding: cached, on a model instance of their own when one is given)."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache, batch_size: int = 32,
                 queries: QueryEmbedding | None = None, query_chars: int = 256):
        self.inner = inner
        self.cache = cache
        self.batch_size = batch_size
        self.queries = queries or QueryEmbedding(inner)
        # A query is embedded from its first `query_chars` characters (ZHIKU_QUERY_EMBED_CHARS): the cost of a
        # 2,000-character query is then that of an ordinary question, and one caller cannot hold the model.
        self.query_chars = query_chars

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_passages(self, texts: list[str], on_progress=None) -> np.ndarray:
        """on_progress(done, total) is called after each batch; cached texts count as done at once."""
        keys = [text_key(t) for t in texts]
        known = self.cache.get_many(self.model_id, list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        text_by_key = dict(zip(keys, texts))
        done = len(texts) - sum(1 for k in keys if k not in known)
        if on_progress:
            on_progress(done, len(texts))
        for i in range(0, len(missing), self.batch_size):
            batch = missing[i:i + self.batch_size]
            vectors = self.inner.embed_passages([text_by_key[k] for k in batch])
            fresh = dict(zip(batch, vectors))
            self.cache.put_many(self.model_id, fresh)
            known.update(fresh)
            if on_progress:
                done += sum(1 for k in keys if k in fresh)
                on_progress(done, len(texts))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([known[k] for k in keys])

    def embed_query(self, text: str) -> np.ndarray:
        return self.queries.embed(text[: self.query_chars])

    def close(self) -> None:
        self.queries.close()
        self.cache.close()
