"""`zhiku eval …`: one module per family of measurements, each with `register(group)` (see zhiku.api.cli)."""
from __future__ import annotations

import sys

import typer

from zhiku.api.cli.registry import register_package


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="Measure quality and speed on evaluation sets.")
    register_package(sys.modules[__name__], group)
    app.add_typer(group, name="eval")
