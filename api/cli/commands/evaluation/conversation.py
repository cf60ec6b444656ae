"""`zhiku eval rewrite` and `zhiku eval demo-answers`: conversations and the demo knowledge base's questions."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from zhiku.core.settings import get_settings


def eval_rewrite(conversations: Optional[Path] = typer.Option(None, help="JSONL of labelled conversations (default "
                                                             "the packaged evaluation/data/conversations.jsonl)"),
                 output: Optional[Path] = typer.Option(None, help="Also write every rewrite as JSON here")):
    """Accuracy of the follow-up rewriter (rules; no LLM) on labelled multi-turn conversations, zh and en."""
    from zhiku.answer.query_rewriter import QueryRewriter
    from zhiku.evaluation.rewrite_eval import (CONVERSATIONS, evaluate_rewriter, format_rewrite_report,
                                               load_conversations, to_json)
    from zhiku.index.sparse_encoder import build_sparse_encoder

    rewriter = QueryRewriter(build_sparse_encoder(get_settings().sparse_encoder))
    results = evaluate_rewriter(rewriter, load_conversations(conversations or CONVERSATIONS))
    typer.echo(format_rewrite_report(results))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(to_json(results), encoding="utf-8")


def eval_demo_answers(data_dir: Path = typer.Option(Path("data/demo-eval"), help="Where the demo knowledge base is "
                                                    "ingested (kept: later runs skip ingestion)"),
                      questions: Optional[Path] = typer.Option(None, help="JSONL of questions (default "
                                                               "demo/questions.jsonl)"),
                      mode: str = typer.Option("extractive", help="extractive | llm"),
                      limit: Optional[int] = typer.Option(None, help="Only the first N questions"),
                      output: Optional[Path] = typer.Option(None, help="Also write every answer as JSON here"),
                      selector_weights: Optional[Path] = typer.Option(None, help="Answer with this answer-selector "
                                                                      "weights file instead of the packaged one")):
    """The demo knowledge base's example questions, asked through retrieval as `zhiku serve --demo` answers them."""
    from zhiku.evaluation.demo_answer_eval import QUESTIONS, format_demo_report, load_questions, run_demo_questions, \
        to_json

    items = load_questions(questions or QUESTIONS)[:limit]
    results = run_demo_questions(data_dir, items, mode, selector_weights)
    typer.echo(format_demo_report(results))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(to_json(results), encoding="utf-8")


def register(group: typer.Typer) -> None:
    group.command("rewrite")(eval_rewrite)
    group.command("demo-answers")(eval_demo_answers)
