"""Fusing the dense and sparse candidate lists into one ranking.

Plain RRF throws away score magnitudes; measured on the dev sets it trails the best single retriever
(docs/benchmarks.md). The default, `weighted-score`, min-max normalises each list over its own
candidates and takes a convex combination with a dense weight tuned on dev.
"""
from __future__ import annotations

from collections.abc import Sequence

from zhiku.index.vector_store import ScoredChunk


def _min_max(results: Sequence[ScoredChunk]) -> dict[str, float]:
    if not results:
        return {}
    scores = [r.score for r in results]
    low, high = min(scores), max(scores)
    span = high - low
    return {r.point_id: (r.score - low) / span if span > 0 else 1.0 for r in results}


def weighted_score_fusion(dense: Sequence[ScoredChunk], sparse: Sequence[ScoredChunk],
                          dense_weight: float, lexically_blind: set[str] = frozenset(),
                          translated: set[str] = frozenset()) -> dict[str, float]:
    """`lexically_blind`: candidates the sparse retriever cannot judge (written in another script
    than the query); their dense score stands in for the missing sparse one. `translated`: candidates in another
    script that the query's translated terms matched (retrieval/hybrid_retriever.py); the small dense model is
    weak across languages, so their lexical score stands in for a lower dense one."""
    d, s = _min_max(dense), _min_max(sparse)
    fused = {}
    for pid in {*d, *s}:
        lexical = d.get(pid, 0.0) if pid in lexically_blind else s.get(pid, 0.0)
        semantic = max(d.get(pid, 0.0), lexical) if pid in translated else d.get(pid, 0.0)
        fused[pid] = dense_weight * semantic + (1 - dense_weight) * lexical
    return fused


def weighted_rrf(dense: Sequence[ScoredChunk], sparse: Sequence[ScoredChunk], dense_weight: float = 0.5,
                 k: int = 60) -> dict[str, float]:
    """Reciprocal-rank fusion; dense_weight=0.5 is plain RRF (up to a constant factor)."""
    fused: dict[str, float] = {}
    for weight, results in ((dense_weight, dense), (1 - dense_weight, sparse)):
        for rank, r in enumerate(results, start=1):
            fused[r.point_id] = fused.get(r.point_id, 0.0) + weight / (k + rank)
    return fused


def fuse(method: str, dense: Sequence[ScoredChunk], sparse: Sequence[ScoredChunk], dense_weight: float,
         rrf_k: int, lexically_blind: set[str] = frozenset(), translated: set[str] = frozenset()) -> dict[str, float]:
    if method == "weighted-score":
        return weighted_score_fusion(dense, sparse, dense_weight, lexically_blind, translated)
    if method == "weighted-rrf":
        return weighted_rrf(dense, sparse, dense_weight, rrf_k)
    if method == "rrf":
        return weighted_rrf(dense, sparse, 0.5, rrf_k)
    raise ValueError(f"unknown fusion method {method!r}")
