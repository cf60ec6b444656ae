"""`zhiku eval retrieval`: recall@1/5/10, MRR@10, nDCG@10 for each pipeline variant on a BEIR set."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field, replace

from zhiku.evaluation.beir_dataset import BeirDataset
from zhiku.evaluation.metrics import summarise
from zhiku.index.vector_store import ChunkFilter
from zhiku.retrieval.graph_expansion import GraphExpander
from zhiku.retrieval.hybrid_retriever import Candidates, HybridRetriever, RetrievalMode

PASSAGES_PER_QUERY = 10
GRAPH_PLACEMENTS = ((5, 3, float("inf")), (5, 5, float("inf")), (5, 5, 0.0), (5, 5, 0.02), (5, 5, 0.04),
                    (5, 5, 0.08))  # (protected head, slots, max dense-similarity gap to the hit pushed out)
# The "novel" gate: (gap for chunks that add what the top hits lack, gap for the others; None: never).
GRAPH_GATES = ((0.0, None), (0.02, 0.0), (0.02, None), (0.04, 0.0), (0.04, None), (float("inf"), 0.0), (float("inf"), None))
GATE_NAMES = ("novel", "evidence", "hop", "path")
CANDIDATE_CHUNKS = 50


@dataclass(slots=True)
class VariantResult:
    name: str
    metrics: dict[str, float]
    runs: dict[str, list[str]] = field(repr=False, default_factory=dict)


@dataclass(slots=True)
class RetrievalReport:
    dataset: str
    queries: int
    variants: list[VariantResult]
    sweep: list[VariantResult]
    first_stage_ms: list[float]
    rerank_ms: list[float]
    fusion_cv: dict | None = None
    graph_cv: dict | None = None
    stage_cv: dict | None = None
    paired: dict | None = None

    def latency(self) -> dict[str, float]:
        def pct(values: list[float], q: float) -> float:
            return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else (values[0] if values else 0.0)
        return {"first_stage_p50_ms": pct(self.first_stage_ms, 50), "first_stage_p95_ms": pct(self.first_stage_ms, 95),
                "rerank_p50_ms": pct(self.rerank_ms, 50), "rerank_p95_ms": pct(self.rerank_ms, 95)}


def passages_of(hits, limit: int = PASSAGES_PER_QUERY) -> list[str]:
    """Chunk hits → passage ids in rank order, each passage once (a passage may have several chunks)."""
    seen: list[str] = []
    for hit in hits:
        pid = hit.payload["document_id"]
        if pid not in seen:
            seen.append(pid)
            if len(seen) == limit:
                break
    return seen


def evaluate_retrieval(dataset: BeirDataset, retriever: HybridRetriever, sweep_weights: list[float] | None = None,
                       on_progress=None, second_stages: list | None = None) -> RetrievalReport:
    """`second_stages`: other second stages to report beside the configured one (same candidates)."""
    candidates: dict[str, Candidates] = {}
    first_stage_ms: list[float] = []
    if dataset.queries:  # load the models before timing anything
        retriever.candidates(dataset.queries[0].text, ChunkFilter(kb_ids=["warm-up"]), 1)
    for i, query in enumerate(dataset.queries):
        chunk_filter = ChunkFilter(kb_ids=[query.group or dataset.name])
        started = time.perf_counter()
        # With a graph, the candidates include its chunks (used by the graph variant only).
        mode = RetrievalMode.GRAPH if retriever.graph is not None else RetrievalMode.HYBRID_RERANK
        candidates[query.query_id] = retriever.candidates(query.text, chunk_filter, CANDIDATE_CHUNKS, mode)
        first_stage_ms.append((time.perf_counter() - started) * 1000)
        if on_progress:
            on_progress(i + 1, len(dataset.queries))

    def run(r: HybridRetriever, mode: RetrievalMode, timings: list[float] | None = None) -> dict[str, list[str]]:
        runs = {}
        for q in dataset.queries:
            started = time.perf_counter()
            runs[q.query_id] = passages_of(r.rank(q.text, candidates[q.query_id], mode))
            if timings is not None:
                timings.append((time.perf_counter() - started) * 1000)
        return runs

    rerank_ms: list[float] = []
    variants = []
    labels = {RetrievalMode.SPARSE: "sparse only", RetrievalMode.DENSE: "dense only",
              RetrievalMode.HYBRID: f"hybrid ({retriever.config.fusion}, w_dense={retriever.config.dense_weight})",
              RetrievalMode.HYBRID_RERANK: f"hybrid + {getattr(retriever.reranker, 'name', 'no')} second stage",
              RetrievalMode.GRAPH: f"hybrid + {getattr(retriever.reranker, 'name', 'no')} second stage + graph"}
    groups = dataset.evidence_groups()
    for mode in RetrievalMode:
        if mode is RetrievalMode.HYBRID_RERANK and retriever.reranker is None:
            continue
        if mode is RetrievalMode.GRAPH and retriever.graph is None:
            continue
        runs = run(retriever, mode, rerank_ms if mode is RetrievalMode.HYBRID_RERANK else None)
        variants.append(VariantResult(labels[mode], summarise(runs, dataset.qrels, groups), runs))

    for other in second_stages or []:
        if other.name == getattr(retriever.reranker, "name", None):
            continue
        r = HybridRetriever(retriever.store, retriever.embedder, retriever.sparse, other, retriever.config,
                            graph=retriever.graph)
        for mode in (RetrievalMode.HYBRID_RERANK, RetrievalMode.GRAPH):
            if mode is RetrievalMode.GRAPH and retriever.graph is None:
                continue
            runs = run(r, mode)
            label = f"hybrid + {other.name} second stage" + (" + graph" if mode is RetrievalMode.GRAPH else "")
            variants.append(VariantResult(label, summarise(runs, dataset.qrels, groups), runs))

    sweep = []
    if retriever.graph is not None:  # where graph chunks enter the ranking: (protected head, slots)
        for protect, slots, gap in GRAPH_PLACEMENTS:
            expander = GraphExpander(retriever.graph.store, retriever.graph.linker,
                                     replace(retriever.graph.config, protect_top=protect, slots=slots,
                                             max_similarity_gap=gap))
            r = HybridRetriever(retriever.store, retriever.embedder, retriever.sparse, retriever.reranker,
                                retriever.config, graph=expander)
            runs = run(r, RetrievalMode.GRAPH)
            name = (f"graph after top {protect}, {slots} slots" + (f", gap ≤ {gap:.2f}" if gap != float("inf") else "")
                    + (f" (gate '{retriever.graph.config.gate}')" if retriever.graph.config.gate != "all" else ""))
            sweep.append(VariantResult(name, summarise(runs, dataset.qrels, groups), runs))
        for gate in GATE_NAMES:
            for novel_gap, plain_gap in GRAPH_GATES:
                if gate in ("hop", "path") and plain_gap is not None:
                    continue  # 'hop' and 'path' never let in a chunk that adds nothing
                expander = GraphExpander(retriever.graph.store, retriever.graph.linker,
                                         replace(retriever.graph.config, protect_top=5, slots=5, gate=gate,
                                                 max_similarity_gap=novel_gap, plain_gap=plain_gap))
                r = HybridRetriever(retriever.store, retriever.embedder, retriever.sparse, retriever.reranker,
                                    retriever.config, graph=expander)
                runs = run(r, RetrievalMode.GRAPH)
                name = (f"graph gate '{gate}': qualified "
                        + (f"gap ≤ {novel_gap:.2f}" if novel_gap != float("inf") else "ungated")
                        + ", others " + ("never" if plain_gap is None else f"gap ≤ {plain_gap:.2f}"))
                sweep.append(VariantResult(name, summarise(runs, dataset.qrels, groups), runs))
    for fusion, weights in (("rrf", [0.5]), ("weighted-rrf", sweep_weights or []),
                            ("weighted-score", sweep_weights or [])):
        for w in weights:
            r = HybridRetriever(retriever.store, retriever.embedder, retriever.sparse, None,
                                replace(retriever.config, fusion=fusion, dense_weight=w, dense_weight_zh=None,
                                        dense_weight_en=None))
            runs = run(r, RetrievalMode.HYBRID)
            name = "rrf" if fusion == "rrf" else f"{fusion} w_dense={w:.2f}"
            sweep.append(VariantResult(name, summarise(runs, dataset.qrels, groups), runs))
    fusion_cv = fusion_cross_validation(dataset, retriever, candidates, sweep_weights) if sweep_weights else None
    graph_rows = [v for v in variants if v.name.endswith("+ graph")] + [v for v in sweep if v.name.startswith("graph")]
    graph_cv = graph_cross_validation(dataset, graph_rows) if len(graph_rows) > 1 else None
    hybrid = next(v for v in variants if v.name.startswith("hybrid ("))
    stage_rows = [hybrid] + [v for v in variants if v.name.endswith("second stage")]
    return RetrievalReport(dataset.name, len(dataset.queries), variants, sweep, first_stage_ms, rerank_ms, fusion_cv,
                           graph_cv, stage_cross_validation(dataset, stage_rows) if len(stage_rows) > 1 else None,
                           paired_against(dataset, hybrid, stage_rows[1:]))


STAGE_CV_METRICS = ("recall@10", "mrr@10", "ndcg@10")


def stage_cross_validation(dataset: BeirDataset, rows: list[VariantResult]) -> dict:
    """Two-fold cross-validation of the choice of second stage (none = the hybrid among `rows`): on one half of the
    questions (alternate questions) the variant with the best mean MRR@10 + nDCG@10 (ties: the earlier row, so the
    hybrid), measured on the other half, both ways."""
    ids = [q.query_id for q in dataset.queries]
    per = {v.name: {q: summarise({q: v.runs[q]}, dataset.qrels) for q in ids} for v in rows}
    return _two_fold_choice(ids, per, ("mrr@10", "ndcg@10"), STAGE_CV_METRICS)


def paired_against(dataset: BeirDataset, base: VariantResult, others: list[VariantResult]) -> dict:
    """For each variant, how many questions' MRR@10 it raises and lowers against `base` (the same questions)."""
    out = {}
    for v in others:
        up = down = 0
        for q in dataset.queries:
            before = summarise({q.query_id: base.runs[q.query_id]}, dataset.qrels)["mrr@10"]
            after = summarise({q.query_id: v.runs[q.query_id]}, dataset.qrels)["mrr@10"]
            up += after > before + 1e-12
            down += after < before - 1e-12
        out[v.name] = {"mrr_up": up, "mrr_down": down}
    return out


GRAPH_CV_METRICS = ("recall@10", "mrr@10", "ndcg@10", "all-evidence@10")


def graph_cross_validation(dataset: BeirDataset, rows: list[VariantResult]) -> dict:
    """Two-fold cross-validation of the graph placement: on one half of the questions (alternate questions) the
    graph variant with the best mean nDCG@10 + all-evidence@10, measured on the other half, both ways."""
    groups = dataset.evidence_groups()
    ids = [q.query_id for q in dataset.queries]
    per = {v.name: {q: summarise({q: v.runs[q]}, dataset.qrels, groups) for q in ids} for v in rows}
    return _two_fold_choice(ids, per, ("ndcg@10", "all-evidence@10"), GRAPH_CV_METRICS)


def _two_fold_choice(ids: list[str], per: dict[str, dict[str, dict]], choose_by: tuple[str, ...],
                     report: tuple[str, ...]) -> dict:
    """On one half of the questions (alternate questions) the variant of `per` (variant -> question -> metrics)
    with the best sum of the `choose_by` means (ties: the earlier variant), measured on the other half, both ways."""
    def mean(name: str, qs: list[str], key: str) -> float:
        return sum(per[name][q][key] for q in qs) / len(qs)

    folds = []
    for fit, test in ((ids[0::2], ids[1::2]), (ids[1::2], ids[0::2])):
        if not fit or not test:
            continue
        # rounded so that float noise cannot break a tie in favour of a later variant (max keeps the first)
        chosen = max(per, key=lambda name: round(sum(mean(name, fit, k) for k in choose_by), 12))
        folds.append({"chosen": chosen, "test_questions": len(test),
                      "held_out": {k: mean(chosen, test, k) for k in report}})
    n = len(folds) or 1
    return {"folds": folds, "held_out": {k: sum(f["held_out"][k] for f in folds) / n for k in report}}


def fusion_cross_validation(dataset: BeirDataset, retriever: HybridRetriever, candidates: dict[str, Candidates],
                            weights: list[float]) -> dict:
    """Two-fold cross-validation of the weighted-score dense weight (no second stage): the weight with the best
    MRR@10 on one half of the questions (alternate questions), measured on the other half, both ways."""
    per_weight: dict[float, dict[str, tuple[float, float]]] = {}
    for w in weights:
        r = HybridRetriever(retriever.store, retriever.embedder, retriever.sparse, None,
                            replace(retriever.config, fusion="weighted-score", dense_weight=w, dense_weight_zh=None,
                                    dense_weight_en=None))
        per_weight[w] = {}
        for q in dataset.queries:
            ranked = passages_of(r.rank(q.text, candidates[q.query_id], RetrievalMode.HYBRID))
            m = summarise({q.query_id: ranked}, dataset.qrels)
            per_weight[w][q.query_id] = (m["mrr@10"], m["ndcg@10"])
    ids = [q.query_id for q in dataset.queries]
    halves = [ids[0::2], ids[1::2]]
    folds = []
    for fit, test in (halves, halves[::-1]):
        if not fit or not test:
            continue
        chosen = max(weights, key=lambda w: (sum(per_weight[w][q][0] for q in fit), -abs(w - 0.6)))
        folds.append({"chosen": chosen, "fit_questions": len(fit), "test_questions": len(test),
                      "test_mrr@10": sum(per_weight[chosen][q][0] for q in test) / len(test),
                      "test_ndcg@10": sum(per_weight[chosen][q][1] for q in test) / len(test)})
    n = len(folds) or 1
    return {"folds": folds, "held_out_mrr@10": sum(f["test_mrr@10"] for f in folds) / n,
            "held_out_ndcg@10": sum(f["test_ndcg@10"] for f in folds) / n}


def format_report(report: RetrievalReport) -> str:
    keys = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "all-evidence@10"]
    lines = [f"### {report.dataset} ({report.queries} dev queries)", "",
             "| variant | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
    for v in report.variants:
        lines.append(f"| {v.name} | " + " | ".join(f"{v.metrics[k]:.4f}" for k in keys) + " |")
    if report.sweep:
        lines += ["", "Sweep (graph placements with the second stage; fusion methods without it):", "",
                  "| fusion | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
        for v in report.sweep:
            lines.append(f"| {v.name} | " + " | ".join(f"{v.metrics[k]:.4f}" for k in keys) + " |")
    if report.fusion_cv and report.fusion_cv["folds"]:
        cv = report.fusion_cv
        lines += ["", "Dense weight cross-validated (chosen on alternate halves of the questions, measured on the "
                      "other half): " + "; ".join(f"chosen {f['chosen']:.1f} → held-out MRR@10 {f['test_mrr@10']:.4f}, "
                                                   f"nDCG@10 {f['test_ndcg@10']:.4f}" for f in cv["folds"])
                  + f"; mean held-out MRR@10 {cv['held_out_mrr@10']:.4f}, nDCG@10 {cv['held_out_ndcg@10']:.4f}."]
    if report.graph_cv and report.graph_cv["folds"]:
        cv = report.graph_cv
        lines += ["", "Graph placement cross-validated (best nDCG@10 + all-evidence@10 on alternate halves, measured on "
                      "the other half): " + "; ".join(f"chosen '{f['chosen']}' → " + ", ".join(
                          f"{k} {v:.4f}" for k, v in f["held_out"].items()) for f in cv["folds"])
                  + "; mean held out " + ", ".join(f"{k} {v:.4f}" for k, v in cv["held_out"].items()) + "."]
    if report.paired:
        lines += ["", "Against the hybrid, questions whose MRR@10 rises / falls: " + "; ".join(
            f"{name}: {p['mrr_up']} / {p['mrr_down']}" for name, p in report.paired.items()) + "."]
    if report.stage_cv and report.stage_cv["folds"]:
        cv = report.stage_cv
        lines += ["", "Second stage cross-validated (best MRR@10 + nDCG@10 on alternate halves, measured on the other "
                      "half): " + "; ".join(f"chosen '{f['chosen']}' → " + ", ".join(
                          f"{k} {v:.4f}" for k, v in f["held_out"].items()) for f in cv["folds"])
                  + "; mean held out " + ", ".join(f"{k} {v:.4f}" for k, v in cv["held_out"].items()) + "."]
    lat = report.latency()
    lines += ["", f"Latency per query: first stage (embed query + dense + sparse search) p50 "
                  f"{lat['first_stage_p50_ms']:.1f} ms, p95 {lat['first_stage_p95_ms']:.1f} ms; "
                  f"fusion + second stage p50 {lat['rerank_p50_ms']:.1f} ms, p95 {lat['rerank_p95_ms']:.1f} ms."]
    return "\n".join(lines)
