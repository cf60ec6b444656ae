"""Issue #16, session 28 (branch s28-stage16): every second stage of interest on one set's candidates, in one run.

`zhiku eval retrieval`'s own code (open_eval_retriever, evaluate_retrieval's candidates and metrics) with second stages
read from weights files beside the packaged ones, so that the hybrid, `learned`, the packaged `guarded` and each
refit are measured on the same first-stage candidates. No graph. Usage:

    ZHIKU_DATA_DIR=<copy of the built indexes> python stage28_eval.py <BEIR set> <output.json> [name=weights.json ...]

The first stage's candidates are kept beside the output (<output>.candidates.pkl, outside the repository) and reused
by a later run naming the same file, so further weights files are measured on the very same candidates.
"""
from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

from zhiku.api.cli.commands.evaluation.retrieval import open_eval_retriever
from zhiku.core.settings import get_settings
from zhiku.evaluation.metrics import mrr_at, ndcg_at, summarise
from zhiku.evaluation.retrieval_eval import (CANDIDATE_CHUNKS, VariantResult, passages_of, paired_against,
                                             stage_cross_validation)
from zhiku.index.vector_store import ChunkFilter
from zhiku.retrieval.guarded_reranker import GuardedReranker
from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalMode
from zhiku.retrieval.learned_reranker import GUARDED_WEIGHTS_FILE, WEIGHTS_FILE, LearnedReranker, SecondStageWeights


def main(dataset: str, output: str, extra: list[str]) -> None:
    settings = get_settings()
    data, retriever, _ = open_eval_retriever(settings, Path(dataset), None)
    try:
        stages = {"learned": LearnedReranker(retriever.sparse, SecondStageWeights.load(WEIGHTS_FILE)),
                  "guarded": GuardedReranker(retriever.sparse, SecondStageWeights.load(GUARDED_WEIGHTS_FILE))}
        for item in extra:
            name, path = item.split("=", 1)
            stages[name] = GuardedReranker(retriever.sparse, SecondStageWeights.load(Path(path)))
        kept = Path(output + ".candidates.pkl")
        if kept.exists():
            candidates = pickle.loads(kept.read_bytes())
        else:
            candidates = {q.query_id: retriever.candidates(q.text, ChunkFilter(kb_ids=[q.group or data.name]),
                                                           CANDIDATE_CHUNKS, RetrievalMode.HYBRID_RERANK)
                          for q in data.queries}
            kept.write_bytes(pickle.dumps(candidates))
        groups = data.evidence_groups()
        variants = []
        for name, stage in [("hybrid", None), *stages.items()]:
            r = HybridRetriever(retriever.store, retriever.embedder, retriever.sparse, stage, retriever.config)
            mode = RetrievalMode.HYBRID if stage is None else RetrievalMode.HYBRID_RERANK
            runs = {q.query_id: passages_of(r.rank(q.text, candidates[q.query_id], mode)) for q in data.queries}
            variants.append(VariantResult(name, summarise(runs, data.qrels, groups), runs))
    finally:
        retriever.store.close()
        retriever.embedder.cache.close()
    hybrid = variants[0]
    per_question = {v.name: {qid: [round(mrr_at(ranked, data.qrels[qid], 10), 4),
                                   round(ndcg_at(ranked, data.qrels[qid], 10), 4)]
                             for qid, ranked in v.runs.items()} for v in variants}
    report = {"dataset": data.name, "queries": len(data.queries),
              "variants": {v.name: {k: round(x, 4) for k, x in v.metrics.items()} for v in variants},
              "paired_against_hybrid": paired_against(data, hybrid, variants[1:]),
              "alternate_halves": stage_cross_validation(data, variants),
              "changed": {v.name: {qid: per_question[v.name][qid] + per_question["hybrid"][qid]
                                   for qid in per_question[v.name]
                                   if per_question[v.name][qid] != per_question["hybrid"][qid]} for v in variants[1:]},
              "top10": {v.name: {qid: ranked[:10] for qid, ranked in v.runs.items()} for v in variants}}
    Path(output).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    for v in variants:
        m = v.metrics
        print(f"{data.name:24} {v.name:22} R@10 {m['recall@10']:.4f} MRR@10 {m['mrr@10']:.4f} "
              f"nDCG@10 {m['ndcg@10']:.4f} all-ev@10 {m['all-evidence@10']:.4f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
