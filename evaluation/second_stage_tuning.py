"""`zhiku eval tune-second-stage`: grid search of the feature reranker's weights on dev sets.

Features are computed once per (query, candidate); each weight combination only re-sorts. The
chosen weights are those with the best mean MRR@10 gain among combinations that lower neither
MRR@10 nor nDCG@10 on any set. The table of every combination goes to docs/benchmarks.md.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from zhiku.evaluation.beir_dataset import BeirDataset
from zhiku.evaluation.metrics import summarise
from zhiku.evaluation.retrieval_eval import CANDIDATE_CHUNKS, passages_of
from zhiku.index.vector_store import ChunkFilter
from zhiku.retrieval.feature_reranker import FeatureReranker, FeatureWeights
from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalMode, rerank_candidates

GRID = {"bigram_coverage": [0.0, 0.25, 0.5, 0.75, 1.0], "term_coverage": [0.0, 0.15, 0.3, 0.5],
        "proximity": [0.0, 0.05, 0.1, 0.2], "phrase": [0.0, 0.1, 0.2, 0.4]}


@dataclass(slots=True)
class TuningRow:
    weights: FeatureWeights
    metrics: dict[str, dict[str, float]]  # dataset → metrics
    gain: float
    safe: bool


def tune(sets: list[tuple[BeirDataset, HybridRetriever]], grid: dict[str, list[float]] | None = None) -> tuple[
        dict[str, dict[str, float]], list[TuningRow]]:
    grid = grid or GRID
    prepared = []
    for data, retriever in sets:
        reranker = FeatureReranker(retriever.sparse)
        per_query = {}
        for q in data.queries:
            candidates = retriever.candidates(q.text, ChunkFilter(kb_ids=[q.group or data.name]), CANDIDATE_CHUNKS)
            hits = retriever.rank(q.text, candidates, RetrievalMode.HYBRID)
            head, tail = hits[:retriever.config.rerank_top_n], hits[retriever.config.rerank_top_n:]
            features = reranker.feature_rows(q.text, rerank_candidates(q.text, head))
            per_query[q.query_id] = (head, tail, features)
        prepared.append((data, per_query))

    baseline = {data.name: summarise({qid: passages_of(head + tail) for qid, (head, tail, _) in pq.items()},
                                     data.qrels) for data, pq in prepared}
    rows = []
    names = list(grid)
    for values in itertools.product(*(grid[n] for n in names)):
        weights = FeatureWeights(**dict(zip(names, values)))
        metrics = {}
        for data, per_query in prepared:
            runs = {}
            for qid, (head, tail, features) in per_query.items():
                scores = [FeatureReranker.combine(h.scores.fused, f, weights) for h, f in zip(head, features)]
                order = sorted(range(len(head)), key=lambda i: scores[i], reverse=True)
                runs[qid] = passages_of([head[i] for i in order] + tail)
            metrics[data.name] = summarise(runs, data.qrels)
        gain = sum(metrics[d]["mrr@10"] - baseline[d]["mrr@10"] for d in metrics) / len(metrics)
        safe = all(metrics[d][k] >= baseline[d][k] - 1e-9 for d in metrics for k in ("mrr@10", "ndcg@10"))
        rows.append(TuningRow(weights, metrics, gain, safe))
    rows.sort(key=lambda r: (r.safe, r.gain), reverse=True)
    return baseline, rows


def format_tuning(baseline: dict[str, dict[str, float]], rows: list[TuningRow], top: int = 15) -> str:
    sets = list(baseline)
    head = "| bigram | terms | proximity | phrase | " + " | ".join(f"{s} MRR@10 | {s} nDCG@10" for s in sets) + " | no set worse |"
    lines = [head, "|" + "---:|" * (4 + 2 * len(sets)) + "---|",
             "| (hybrid, no second stage) | | | | " + " | ".join(
                 f"{baseline[s]['mrr@10']:.4f} | {baseline[s]['ndcg@10']:.4f}" for s in sets) + " | |"]
    for r in rows[:top]:
        w = r.weights
        lines.append(f"| {w.bigram_coverage} | {w.term_coverage} | {w.proximity} | {w.phrase} | " + " | ".join(
            f"{r.metrics[s]['mrr@10']:.4f} | {r.metrics[s]['ndcg@10']:.4f}" for s in sets)
            + f" | {'yes' if r.safe else 'no'} |")
    return "\n".join(lines)
