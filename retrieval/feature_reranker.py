"""The offline second stage: query-passage match features the first stage cannot see.

The first stage scores terms independently (BM25) or compresses the passage into one vector (dense).
This stage looks at the query and the passage together: how much of the query's character bigrams
the passage contains (robust to word-segmentation differences), how many query terms it covers, and
how close together they occur. The features are added to the fused score with weights tuned on the
dev sets (docs/benchmarks.md). Fast: pure Python over ≤ rerank_top_n short texts.
"""
from __future__ import annotations

from dataclasses import dataclass

from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.retrieval.passage_view import (PassageCache, PassageView, bigrams as _bigrams, candidate_view, fold,
                                          read_passage)
from zhiku.retrieval.reranker import RerankCandidate


@dataclass(frozen=True, slots=True)
class FeatureWeights:
    """Defaults from `zhiku eval tune-second-stage` on the rgb_zh and cmrc2018_zh dev sets: the middle
    of the plateau of combinations that improve both, not its single best point (docs/benchmarks.md)."""

    bigram_coverage: float = 0.5
    term_coverage: float = 0.15
    proximity: float = 0.1
    phrase: float = 0.2


FEATURES = ("bigram_coverage", "term_coverage", "proximity", "phrase")


class FeatureReranker:
    name = "feature"

    def __init__(self, tokenizer: SparseEncoder, weights: FeatureWeights | None = None,
                 cache: PassageCache | None = None):
        self.tokenizer = tokenizer
        self.weights = weights or FeatureWeights()
        self.cache = cache or PassageCache()

    def features(self, query: str, text: str, passage: PassageView | None = None,
                 q_terms: list[str] | None = None) -> dict[str, float]:
        passage = passage or read_passage(self.tokenizer, text)
        q_bigrams = _bigrams(query)
        bigram_coverage = passage.shared_bigrams(q_bigrams) / len(q_bigrams) if q_bigrams else 0.0
        if q_terms is None:
            q_terms = list(dict.fromkeys(self.tokenizer.tokenize(query)))
        present = passage.term_set.intersection(q_terms)
        term_coverage = len(present) / len(q_terms) if q_terms else 0.0
        return {"bigram_coverage": bigram_coverage, "term_coverage": term_coverage,
                "proximity": _proximity(passage.terms, present), "phrase": _phrase(query, text, passage.folded)}

    def feature_rows(self, query: str, candidates: list[RerankCandidate]) -> list[dict[str, float]]:
        """Features of each candidate as scored: across scripts, where term features cannot see,
        the candidate's normalised dense similarity stands in for each of them. A chunk's terms are read
        once (kept in its payload, and cached by chunk id), the query's once per call."""
        dense_norm = _min_max([c.dense for c in candidates])
        q_terms = list(dict.fromkeys(self.tokenizer.tokenize(query)))
        return [self.features(query, c.text, candidate_view(self.cache, self.tokenizer, c), q_terms)
                if c.lexically_comparable else dict.fromkeys(FEATURES, stand_in)
                for c, stand_in in zip(candidates, dense_norm)]

    @staticmethod
    def combine(fused: float, features: dict[str, float], weights: FeatureWeights) -> float:
        return fused + sum(getattr(weights, name) * features[name] for name in FEATURES)

    def score(self, query: str, candidates: list[RerankCandidate]) -> list[float]:
        rows = self.feature_rows(query, candidates)
        return [self.combine(c.fused, f, self.weights) for c, f in zip(candidates, rows)]


def _min_max(values: list[float | None]) -> list[float]:
    known = [v for v in values if v is not None]
    if not known:
        return [0.0] * len(values)
    low, high = min(known), max(known)
    return [0.0 if v is None else ((v - low) / (high - low) if high > low else 1.0) for v in values]


_normalise = fold  # the text's letters and digits, lower-cased


def _phrase(query: str, text: str, folded: str | None = None) -> float:
    """Longest stretch of the query found verbatim in the passage, as a share of the query."""
    q, p = _normalise(query), (_normalise(text) if folded is None else folded)
    if not q or not p:
        return 0.0
    return _longest_common_substring(q, p) / len(q)


def _longest_common_substring(q: str, p: str) -> int:
    """Length of the longest substring of q found in p (difflib's longest match without junk, 3-4x faster on a
    short query: at most 2·len(q) substring searches instead of indexing the passage for every pair)."""
    best = 0
    for i in range(len(q)):
        while i + best < len(q) and q[i:i + best + 1] in p:
            best += 1
    return best


def _proximity(passage_terms: list[str], wanted: set[str]) -> float:
    """1 when all matched query terms sit next to each other, → 0 as the tightest window covering them grows."""
    if len(wanted) < 2:
        return 0.0
    positions = [(i, t) for i, t in enumerate(passage_terms) if t in wanted]
    best = len(passage_terms)
    counts: dict[str, int] = {}
    left = 0
    for pos, term in positions:
        counts[term] = counts.get(term, 0) + 1
        while len(counts) == len(wanted):
            best = min(best, pos - positions[left][0] + 1)
            left_term = positions[left][1]
            counts[left_term] -= 1
            if counts[left_term] == 0:
                del counts[left_term]
            left += 1
    return len(wanted) / best if best else 0.0
