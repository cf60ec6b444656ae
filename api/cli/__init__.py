"""The `zhiku` command.

Every module (or package) in `zhiku.api.cli.commands` is one command group and has a `register(parent)`
function that adds its commands or its sub-`Typer` to the root command; they are found by name, so a new
group is a new file there and nothing else changes. Commands import the stages they need inside their
bodies, so `zhiku --help` and every command start without loading the others' models.
"""
from __future__ import annotations

import typer

from zhiku.api.cli import commands
from zhiku.api.cli.registry import register_package

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Zhiku 知库: knowledge base for banks.")
register_package(commands, app)


def main() -> None:
    app()


__all__ = ["app", "main"]
