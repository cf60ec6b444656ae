"""Ranking metrics over passage ids (binary relevance)."""
from __future__ import annotations

import math


def recall_at(ranked: list[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def mrr_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    for i, pid in enumerate(ranked[:k], start=1):
        if pid in relevant:
            return 1.0 / i
    return 0.0


def ndcg_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1.0 / math.log2(i + 1) for i, pid in enumerate(ranked[:k], start=1) if pid in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def summarise(runs: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    """Mean recall@1/5/10, MRR@10 and nDCG@10 over the queries in `runs`."""
    n = max(len(runs), 1)
    out = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    for qid, ranked in runs.items():
        rel = qrels.get(qid, set())
        out["recall@1"] += recall_at(ranked, rel, 1)
        out["recall@5"] += recall_at(ranked, rel, 5)
        out["recall@10"] += recall_at(ranked, rel, 10)
        out["mrr@10"] += mrr_at(ranked, rel, 10)
        out["ndcg@10"] += ndcg_at(ranked, rel, 10)
    return {k: v / n for k, v in out.items()}
