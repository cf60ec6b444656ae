"""The second-stage interface: rescore a short list of fused candidates against the query."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True)
class RerankCandidate:
    text: str
    fused: float  # first-stage fused score, in [0, 1] for weighted-score fusion
    dense: float | None
    sparse: float | None
    lexically_comparable: bool = True  # False: query and passage are in different scripts


class Reranker(Protocol):
    name: str

    def score(self, query: str, candidates: list[RerankCandidate]) -> list[float]:
        """One score per candidate, higher is better; only the order matters."""
        ...
