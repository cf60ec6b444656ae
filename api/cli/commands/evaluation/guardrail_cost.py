"""`zhiku eval guardrail-cost`: how many real passages and questions the injection detector flags."""
from __future__ import annotations

from pathlib import Path

import typer


def eval_guardrail_cost(dataset_dir: Path = typer.Option(Path("../shared/eval"), help="the evaluation data"),
                        more: bool = typer.Option(False, help="also cmrc2018_zh and hotpotqa_multihop_en")):
    """False alarms of the injection detector on real text (rgb_zh, financebench_en) and its time per text."""
    from zhiku.evaluation.guardrail_cost import main

    main(["--dataset-dir", str(dataset_dir)] + (["--more"] if more else []))


def register(group) -> None:
    group.command("guardrail-cost")(eval_guardrail_cost)
