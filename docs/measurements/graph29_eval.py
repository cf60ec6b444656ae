"""Issue #16, session 29 (branch s29-graph16): every second stage with and without the graph on one set's candidates.

`zhiku eval retrieval --graph`'s own code (open_eval_retriever, open_eval_graph_expander, the candidates of
evaluate_retrieval and its metrics): the first stage and the graph's evidence are computed once per question in
graph mode and kept beside the output (<output>.candidates.pkl, outside the repository), then every second stage
(the hybrid order, `learned`, `guarded`) is ranked on them without the graph and under each graph configuration named
on the command line. With `--trace` every question's graph decisions under each configuration are written too: which
graph chunks the gate saw, what `adds_evidence` said, which first-stage hit left for it. Usage:

    ZHIKU_DATA_DIR=<copy of the built indexes and graph> python graph29_eval.py <BEIR set> <output.json> \
        [--trace] [name:gate=path,max_similarity_gap=0 ...]

Without configurations: the configured one (`ZHIKU_GRAPH_*`, as `zhiku eval retrieval --graph`).
"""
from __future__ import annotations

import json
import pickle
import sys
from dataclasses import replace
from pathlib import Path

from zhiku.api.cli.commands.evaluation.retrieval import open_eval_graph_expander, open_eval_retriever
from zhiku.core.settings import get_settings
from zhiku.evaluation.metrics import summarise
from zhiku.evaluation.retrieval_eval import (CANDIDATE_CHUNKS, STAGE_CV_METRICS, VariantResult, _two_fold_choice,
                                             fusion_cross_validation, graph_cross_validation, passages_of,
                                             stage_cross_validation)
from zhiku.index.vector_store import ChunkFilter
from zhiku.retrieval.graph_expansion import GraphExpander, order_graph_chunks
from zhiku.retrieval.graph_gate import ShownHits, adds_evidence
from zhiku.retrieval.guarded_reranker import GuardedReranker
from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalMode
from zhiku.retrieval.learned_reranker import GUARDED_WEIGHTS_FILE, WEIGHTS_FILE, LearnedReranker, SecondStageWeights


def parse_config(text: str) -> tuple[str, dict]:
    name, _, spec = text.partition(":")
    values = {}
    for item in filter(None, spec.split(",")):
        key, value = item.split("=", 1)
        values[key] = value if key == "gate" else (None if value == "none" else float(value))
    return name, values


def trace(r: HybridRetriever, query: str, candidates, top: int = 10) -> dict:
    """What the graph gate saw for one question: the ranking it judged, and each graph chunk's verdict."""
    hits = r._hybrid_ranking(query, candidates.dense, candidates.sparse, RetrievalMode.GRAPH)
    evidence = candidates.graph_evidence
    out = {"linked": [(e.name, e.mention, round(e.score, 3)) for e in evidence.linked] if evidence else [],
           "shown": [(h.payload["document_id"], h.chunk_id, round(h.scores.dense or 0, 4)) for h in hits[:top]]}
    if evidence is None or not candidates.graph:
        return out
    shown = ShownHits.of(hits[:top])
    by_point = {c.point_id: c for c in candidates.graph}
    order = order_graph_chunks({pid: evidence.chunk_scores.get(pid, 0.0) for pid in by_point},
                               {pid: c.score for pid, c in by_point.items()})
    gate = r.graph.config.gate
    verdicts = []
    for pid in order:
        c = by_point[pid]
        verdicts.append({"doc": c.payload["document_id"], "chunk": pid, "dense": round(c.score, 4),
                         "graph": round(evidence.chunk_scores.get(pid, 0.0), 3),
                         "adds": adds_evidence(gate, evidence, pid, c.payload, shown, query.casefold()),
                         "novel": evidence.novel(pid, shown.text),
                         "earlier_shown": bool(evidence.earlier.get(pid, set()) & shown.ids),
                         "bridges": sorted(evidence.bridges.get(pid, ()))[:6]})
    out["graph"] = verdicts
    return out


def main(dataset: str, output: str, args: list[str]) -> None:
    settings = get_settings()
    tracing = "--trace" in args
    configs = [parse_config(a) for a in args if a != "--trace"]
    data, retriever, (_, folder) = open_eval_retriever(settings, Path(dataset), None)
    groups = data.evidence_groups()
    try:
        with open_eval_graph_expander(settings, data, folder, False) as (expander, _):
            retriever.graph = expander
            kept = Path(output + ".candidates.pkl")
            if kept.exists():
                candidates = pickle.loads(kept.read_bytes())
            else:
                candidates = {}
                for q in data.queries:
                    c = retriever.candidates(q.text, ChunkFilter(kb_ids=[q.group or data.name]), CANDIDATE_CHUNKS,
                                             RetrievalMode.GRAPH)
                    if c.graph_evidence is not None:
                        c.graph_evidence.describe = None  # a closure over the live store: not kept
                    candidates[q.query_id] = c
                kept.write_bytes(pickle.dumps(candidates))
        stages = {"hybrid": None,
                  "learned": LearnedReranker(retriever.sparse, SecondStageWeights.load(WEIGHTS_FILE)),
                  "guarded": GuardedReranker(retriever.sparse, SecondStageWeights.load(GUARDED_WEIGHTS_FILE))}
        graph_configs = [(name, replace(expander.config, **values)) for name, values in configs] or \
            [("configured", expander.config)]
        variants, traces = [], {}
        # point 4: the guard depth chosen on one half of the development questions, reported on the other
        depth_rows = []
        for depth in (1, 3, 5, 10, float("inf")):
            weights = replace(SecondStageWeights.load(GUARDED_WEIGHTS_FILE), guard_depth=depth)
            r = HybridRetriever(retriever.store, retriever.embedder, retriever.sparse,
                                GuardedReranker(retriever.sparse, weights), retriever.config)
            runs = {q.query_id: passages_of(r.rank(q.text, candidates[q.query_id], RetrievalMode.HYBRID_RERANK))
                    for q in data.queries}
            depth_rows.append(VariantResult(f"guarded depth {depth:g}", summarise(runs, data.qrels, groups), runs))
        ids = [q.query_id for q in data.queries]
        depth_cv = _two_fold_choice(ids, {v.name: {q: summarise({q: v.runs[q]}, data.qrels) for q in ids}
                                          for v in depth_rows}, ("mrr@10", "ndcg@10"), STAGE_CV_METRICS)
        fusion_cv = fusion_cross_validation(data, retriever, candidates, [i / 10 for i in range(1, 10)])
        for stage_name, stage in stages.items():
            plain = HybridRetriever(retriever.store, retriever.embedder, retriever.sparse, stage, retriever.config)
            mode = RetrievalMode.HYBRID if stage is None else RetrievalMode.HYBRID_RERANK
            runs = {q.query_id: passages_of(plain.rank(q.text, candidates[q.query_id], mode)) for q in data.queries}
            variants.append(VariantResult(stage_name, summarise(runs, data.qrels, groups), runs))
            for config_name, config in graph_configs:
                graphed = HybridRetriever(retriever.store, retriever.embedder, retriever.sparse, stage,
                                          retriever.config, GraphExpander(expander.store, expander.linker, config))
                runs = {q.query_id: passages_of(graphed.rank(q.text, candidates[q.query_id], RetrievalMode.GRAPH))
                        for q in data.queries}
                name = f"{stage_name} + graph {config_name}"
                variants.append(VariantResult(name, summarise(runs, data.qrels, groups), runs))
                if tracing:
                    traces[name] = {q.query_id: trace(graphed, q.text, candidates[q.query_id])
                                    for q in data.queries}
    finally:
        retriever.store.close()
        retriever.embedder.cache.close()
    per_question = {v.name: {qid: summarise({qid: ranked}, data.qrels, groups) for qid, ranked in v.runs.items()}
                    for v in variants}
    report = {"dataset": data.name, "queries": len(data.queries),
              "configs": {name: values for name, values in configs},
              "variants": {v.name: {k: round(x, 4) for k, x in v.metrics.items()} for v in variants},
              "graph_halves": {stage: graph_cross_validation(data, [v for v in variants
                                                                   if v.name.split(" + ")[0] == stage])
                               for stage in stages},
              "fusion_halves": fusion_cv,
              "guard_depths": {v.name: {k: round(x, 4) for k, x in v.metrics.items()} for v in depth_rows},
              "guard_depth_halves": depth_cv,
              "stage_halves": stage_cross_validation(data, [v for v in variants if " + " not in v.name]),
              "per_question": {v.name: {qid: {k: round(m[k], 4) for k in ("recall@10", "mrr@10", "ndcg@10",
                                                                          "all-evidence@10")}
                                        for qid, m in per_question[v.name].items()} for v in variants},
              "top10": {v.name: {qid: ranked[:10] for qid, ranked in v.runs.items()} for v in variants}}
    if tracing:
        report["trace"] = traces
    Path(output).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    for v in variants:
        m = v.metrics
        print(f"{data.name:22} {v.name:34} R@10 {m['recall@10']:.4f} MRR@10 {m['mrr@10']:.4f} "
              f"nDCG@10 {m['ndcg@10']:.4f} all-ev@10 {m['all-evidence@10']:.4f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
