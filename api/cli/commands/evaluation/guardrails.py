"""`zhiku eval guardrails`: precision and recall of the guardrail detectors on the labelled sets."""
from __future__ import annotations


def eval_guardrails():
    """Prompt-injection and personal-data detectors on guardrails/data (development and held-out sets)."""
    from zhiku.evaluation.guardrail_eval import main

    main([])


def register(group) -> None:
    group.command("guardrails")(eval_guardrails)
