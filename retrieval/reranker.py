"""The second-stage interface: rescore a short list of fused candidates against the query."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from zhiku.index.chunk_terms import StoredTerms


@dataclass(slots=True)
class RerankCandidate:
    text: str
    fused: float  # first-stage fused score, in [0, 1] for weighted-score fusion
    dense: float | None
    sparse: float | None
    lexically_comparable: bool = True  # False: query and passage are in different scripts
    chunk_id: str | None = None  # lets a second stage cache what it reads of the chunk
    dense_rank: float | None = None  # 1 / (1 + rank) in the dense list among all fused candidates, 0 if absent
    sparse_rank: float | None = None  # the same in the sparse list
    terms: StoredTerms | None = None  # the chunk's terms kept in its payload (index/chunk_terms.py): not tokenised again


class Reranker(Protocol):
    name: str

    def score(self, query: str, candidates: list[RerankCandidate]) -> list[float]:
        """One score per candidate, higher is better; only the order matters."""
        ...
