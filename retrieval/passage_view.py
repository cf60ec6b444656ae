"""What a second stage reads of a chunk (its terms, character bigrams, the kinds of value it holds), read once.

The chunk's jieba terms are kept with the chunk: the indexer writes them into the point's payload
(index/chunk_terms.py) and the search hit brings them back, so a candidate is never tokenised at search time.
A chunk of a store written before that (no `terms` in its payload, or terms of another tokenizer) is tokenised
here, as before. Either way the view is kept in a bounded cache keyed by the chunk id (a chunk whose text
changed, after re-indexing, is read again): its folded text is computed once per chunk too.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from zhiku.index.chunk_terms import StoredTerms
from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.retrieval.answer_types import sentence_kinds
from zhiku.retrieval.reranker import RerankCandidate


_NOT_ALNUM = re.compile(r"[\W_]+")  # \w is str.isalnum() and the underscore
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


def fold(text: str) -> str:
    """The text's letters and digits, lower-cased (what `c.isalnum()` keeps)."""
    return _NOT_ALNUM.sub("", text.lower())


def bigrams(text: str) -> set[str]:
    """Character bigrams of the text's letters and digits, lower-cased."""
    chars = fold(text)
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


@dataclass(slots=True)
class PassageView:
    """What the second stage reads of a chunk: its terms, and its folded text (letters and digits, lower-cased),
    in which a query's bigrams and longest verbatim stretch are looked up. Its bigram set and the kinds of value
    it holds are made when first asked for: the feature stage asks for neither (building the set was 12% of a
    search and 60 KB a cached chunk, the kinds 9%: docs/profiles/README.md)."""
    terms: list[str]
    term_set: frozenset[str]
    text: str = field(repr=False)
    folded: str = field(repr=False)
    _bigrams: set[str] | None = field(default=None, repr=False)
    _kinds: frozenset[str] | None = field(default=None, repr=False)
    _sentences: tuple[str, ...] | None = field(default=None, repr=False)

    @property
    def bigrams(self) -> set[str]:
        if self._bigrams is None:
            self._bigrams = {self.folded[i:i + 2] for i in range(len(self.folded) - 1)}
        return self._bigrams

    @property
    def kinds(self) -> frozenset[str]:
        if self._kinds is None:
            self._kinds = frozenset(sentence_kinds(self.text.lower()))
        return self._kinds

    @property
    def sentences(self) -> tuple[str, ...]:
        """The passage's sentences, lower-cased (split after 。！？；, their ASCII forms and line ends)."""
        if self._sentences is None:
            self._sentences = tuple(s for s in _SENTENCE_END.split(self.text.lower()) if s.strip())
        return self._sentences

    def shared_bigrams(self, query_bigrams: set[str]) -> int:
        """How many of the query's bigrams the passage holds (= len(query_bigrams & self.bigrams))."""
        return sum(1 for b in query_bigrams if b in self.folded)


def read_passage(tokenizer: SparseEncoder, text: str, stored: StoredTerms | None = None) -> PassageView:
    """`stored`: the terms the chunk's payload keeps; used when `tokenizer` makes the same terms, else the text is
    tokenised."""
    terms = stored.for_tokenizer(tokenizer) if stored is not None else None
    if terms is None:
        terms = tokenizer.tokenize(text)
    return PassageView(terms, frozenset(terms), text, fold(text))


def candidate_view(cache: "PassageCache", tokenizer: SparseEncoder, candidate: RerankCandidate) -> PassageView:
    """The view of a second-stage candidate: cached by chunk id, built from its stored terms when it has them."""
    return cache.get(candidate.chunk_id or candidate.text, candidate.text,
                     lambda text: read_passage(tokenizer, text, candidate.terms))


class PassageCache:
    """Bounded LRU of passage views keyed by chunk id; a chunk whose text changed is read again. An entry of a
    500-character chunk weighed about 60 KB with its bigram set (measured as RSS growth in `zhiku bench search`),
    which is now made only for the learned stage: the feature stage's entries hold the terms and folded text."""

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
