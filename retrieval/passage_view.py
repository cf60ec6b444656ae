"""What a second stage reads of a chunk (its terms, character bigrams, the kinds of value it holds), read once.

The chunk's text does not change between searches, so its jieba terms need not be computed again for every
query that brings it back: the second stages keep them in a bounded cache keyed by the chunk id (a chunk whose
text changed, after re-indexing, is read again).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.retrieval.answer_types import sentence_kinds


def bigrams(text: str) -> set[str]:
    chars = [c for c in text.lower() if c.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:])}


@dataclass(slots=True)
class PassageView:
    """What the second stage reads of a chunk."""
    terms: list[str]
    term_set: frozenset[str]
    bigrams: set[str]
    kinds: frozenset[str]


def read_passage(tokenizer: SparseEncoder, text: str) -> PassageView:
    terms = tokenizer.tokenize(text)
    return PassageView(terms, frozenset(terms), bigrams(text), frozenset(sentence_kinds(text.lower())))


class PassageCache:
    """Bounded LRU of passage views keyed by chunk id; a chunk whose text changed is read again. An entry of a
    500-character chunk weighs about 60 KB (its bigram set dominates; measured as RSS growth in `zhiku bench
    search`), so the default bounds the cache near 250 MB."""

    def __init__(self, size: int = 4096):
        self.size = size
        self._items: OrderedDict[str, tuple[str, PassageView]] = OrderedDict()
        self._lock = threading.Lock()
        self.misses = 0

    def get(self, key: str, text: str, build: Callable[[str], PassageView]) -> PassageView:
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] == text:
                self._items.move_to_end(key)
                return found[1]
        view = build(text)
        with self._lock:
            self.misses += 1
            self._items[key] = (text, view)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return view
