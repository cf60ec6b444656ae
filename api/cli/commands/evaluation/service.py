"""`zhiku eval service`: ingestion speed and HTTP latency on a throwaway data folder."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from tqdm import tqdm

from zhiku.core.settings import get_settings


def eval_service(dataset: Path = typer.Option(..., help="A BEIR-layout set, e.g. ../shared/eval/rgb_zh"),
                 passages: Optional[int] = typer.Option(None, help="Ingest only the first N passages"),
                 fresh_cache: bool = typer.Option(False, help="Embed everything anew (measures the model)"),
                 output: Optional[Path] = typer.Option(None, help="Also write the figures as JSON here")):
    """Ingestion speed through the job runner, and HTTP /search and /ask latency, on a throwaway data dir."""
    from zhiku.evaluation.beir_dataset import BeirDataset
    from zhiku.evaluation.service_benchmark import run_service_benchmark

    data = BeirDataset.load(dataset)
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.setdefault(stage, tqdm(total=total, desc=stage, file=sys.stderr))
        bar.update(done - bar.n)

    result = run_service_benchmark(data, get_settings(), passages, fresh_cache, progress)
    for bar in bars.values():
        bar.close()
    summary = result.summary()
    typer.echo(json.dumps(summary, indent=2))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(summary, indent=2))


def register(group: typer.Typer) -> None:
    group.command("service")(eval_service)
