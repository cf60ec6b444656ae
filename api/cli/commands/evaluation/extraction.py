"""`zhiku eval extraction`: knowledge-graph extraction against the gold sentences."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def eval_extraction(corpus: list[Path] = typer.Option(
                        [Path("../shared/eval/rgb_zh/corpus.jsonl"), Path("../shared/eval/hotpotqa_multihop_en/corpus.jsonl")],
                        help="BEIR corpus.jsonl files for the speed measurement (repeat the option)"),
                    limit: int = typer.Option(2000, help="Speed: the first N passages of each corpus"),
                    gold: Optional[Path] = typer.Option(None, help="Gold sentences (default evaluation/data/extraction_gold.jsonl)"),
                    alias_file: Optional[Path] = typer.Option(None, help="A knowledge base's alias JSON merged over the built-in one"),
                    output: Optional[Path] = typer.Option(None, help="Also write the report (with per-sentence errors) as JSON")):
    """Knowledge-graph extraction: per-type P/R/F1 of entities and typed relations on the gold set, chunks/s."""
    from zhiku.evaluation.extraction_eval import GOLD, evaluate_extraction, format_report
    from zhiku.graph.extraction.entity_resolution import EntityResolver
    from zhiku.graph.extraction.rule_extractor import RuleExtractor

    resolver = EntityResolver.from_file(alias_file)
    extractor = RuleExtractor(dictionary=resolver.names())
    report = evaluate_extraction(extractor, resolver, [c for c in corpus if c.exists()], limit, gold or GOLD)
    typer.echo(format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.to_json())


def register(group: typer.Typer) -> None:
    group.command("extraction")(eval_extraction)
