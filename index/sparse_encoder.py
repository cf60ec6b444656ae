"""Lexical (BM25) sparse vectors for Chinese and English, scored by Qdrant with the IDF modifier.

Documents carry BM25's saturated term frequency; queries carry 1 per term; Qdrant multiplies in the
collection's IDF at search time. So the same vectors work in the embedded engine and on a server.
"""
from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from zhiku.core.errors import ConfigurationError
from zhiku.index.chunk_terms import TERMS_ID


@dataclass(slots=True)
class SparseVector:
    indices: list[int]
    values: list[float]


class SparseEncoder(Protocol):
    name: str

    def encode_document(self, text: str) -> SparseVector: ...

    def encode_query(self, text: str) -> SparseVector: ...

    def tokenize(self, text: str) -> list[str]:
        """Terms as the index sees them (used by the second stage to compare query and passage)."""
        ...

    # Optional: `terms_id` (str), the id of the terms `tokenize` makes (index/chunk_terms.py): with it the indexer
    # keeps each chunk's terms in its payload; `encode_terms(terms)`, a document vector from terms already made.


_WORD = re.compile(r"[0-9a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]+|[\u3400-\u9fff\uf900-\ufaff]+")
_STOPWORDS = frozenset(
    "的 了 和 是 在 与 及 或 等 对 为 于 以 之 其 也 而 并 就 都 把 被 这 那 有 中 上 下 个 吗 呢 吧 啊 哪些 什么 "
    "怎么 如何 多少 哪个 哪里 谁 是否 一个 "
    "a an the of to in on for and or is are was were be by with as at from that this it its what which "
    "who how when where do does did".split()
)


def term_index(term: str) -> int:
    """Stable 32-bit id of a term (Qdrant sparse indices are u32)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little")


class JiebaBm25Encoder:
    """jieba search-mode segmentation for Chinese runs, lower-cased words for other scripts."""

    name = "jieba-bm25"
    terms_id = TERMS_ID

    def __init__(self, k1: float = 1.2, b: float = 0.75, avg_len: float = 256.0):
        self.k1, self.b, self.avg_len = k1, b, avg_len
        self._jieba = None
        self._lock = threading.Lock()

    def _segmenter(self):
        with self._lock:
            if self._jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                self._jieba = jieba
        return self._jieba

    def tokenize(self, text: str) -> list[str]:
        jieba = self._segmenter()
        terms: list[str] = []
        for match in _WORD.finditer(text.lower()):
            run = match.group()
            if "\u3400" <= run[0] <= "\ufaff":
                terms.extend(t for t in jieba.lcut_for_search(run, HMM=True) if t not in _STOPWORDS)
            elif run not in _STOPWORDS:
                terms.append(run)
        return terms

    def encode_document(self, text: str) -> SparseVector:
        return self.encode_terms(self.tokenize(text))

    def encode_terms(self, terms: list[str]) -> SparseVector:
        """The document vector of terms `tokenize` made (the indexer tokenises a chunk once for both)."""
        counts = Counter(terms)
        length = sum(counts.values())
        norm = self.k1 * (1 - self.b + self.b * length / self.avg_len)
        weights: dict[int, float] = {}
        for term, tf in counts.items():
            idx = term_index(term)
            weights[idx] = weights.get(idx, 0.0) + tf * (self.k1 + 1) / (tf + norm)
        return SparseVector(list(weights), list(weights.values()))

    def encode_query(self, text: str) -> SparseVector:
        indices = sorted({term_index(t) for t in self.tokenize(text)})
        return SparseVector(indices, [1.0] * len(indices))


class QdrantBm25Encoder:
    """Qdrant's own BM25 (multilingual tokenizer) computed in-process by qdrant-edge's `Bm25`."""

    name = "qdrant-bm25"
    terms_id = TERMS_ID  # tokenize() is jieba's (below)

    def __init__(self, avg_len: float = 256.0):
        try:
            from qdrant_edge import Bm25, Bm25Config, TokenizerType
        except ImportError as exc:  # pragma: no cover - qdrant-edge-py is a core dependency
            raise ConfigurationError("sparse_encoder=qdrant-bm25 needs qdrant-edge-py") from exc
        self._model = Bm25(Bm25Config(tokenizer=TokenizerType.Multilingual, avg_len=avg_len))
        self._fallback_tokenizer = JiebaBm25Encoder()

    def encode_document(self, text: str) -> SparseVector:
        v = self._model.embed_document(text)
        return SparseVector(list(v.indices), list(v.values))

    def encode_query(self, text: str) -> SparseVector:
        v = self._model.embed_query(text)
        return SparseVector(list(v.indices), list(v.values))

    def tokenize(self, text: str) -> list[str]:
        # Qdrant's tokenizer is not exposed; the second stage compares terms with jieba's.
        return self._fallback_tokenizer.tokenize(text)


def build_sparse_encoder(name: str) -> SparseEncoder:
    if name == "jieba-bm25":
        return JiebaBm25Encoder()
    if name == "qdrant-bm25":
        return QdrantBm25Encoder()
    raise ConfigurationError(f"unknown sparse encoder {name!r}; use jieba-bm25 or qdrant-bm25")
