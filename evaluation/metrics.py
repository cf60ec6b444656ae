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


def all_evidence_at(ranked: list[str], groups: list[set[str]], k: int = 10) -> float:
    """1 when every evidence group has at least one passage in the top k (multi-hop: all the facts found)."""
    top = set(ranked[:k])
    return 1.0 if groups and all(group & top for group in groups) else 0.0


def summarise(runs: dict[str, list[str]], qrels: dict[str, set[str]],
              evidence_groups: dict[str, list[set[str]]] | None = None) -> dict[str, float]:
    """Mean recall@1/5/10, MRR@10, nDCG@10 and all-evidence@10 over the queries in `runs`.

    `evidence_groups`: per query, the groups of which one passage each is needed; by default every
    relevant passage is a group of its own (all of them are needed)."""
    n = max(len(runs), 1)
    out = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0,
           "all-evidence@10": 0.0}
    for qid, ranked in runs.items():
        rel = qrels.get(qid, set())
        groups = (evidence_groups or {}).get(qid) or [{pid} for pid in rel]
        out["all-evidence@10"] += all_evidence_at(ranked, groups, 10)
        out["recall@1"] += recall_at(ranked, rel, 1)
        out["recall@5"] += recall_at(ranked, rel, 5)
        out["recall@10"] += recall_at(ranked, rel, 10)
        out["mrr@10"] += mrr_at(ranked, rel, 10)
        out["ndcg@10"] += ndcg_at(ranked, rel, 10)
    return {k: v / n for k, v in out.items()}
