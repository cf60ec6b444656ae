"""`zhiku eval load`: a bounded load test on loopback (p50/p95, 429/503, errors per phase)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer


def eval_load(url: Optional[str] = typer.Option(None, help="A running server (default: start `zhiku serve --demo` "
                                                "on --port with a throwaway data folder)"),
              port: int = typer.Option(8765, help="Port of the throwaway server"),
              seconds: float = typer.Option(60, help="Length of each loaded phase"),
              clients: int = typer.Option(50, help="Clients of the base load (half /search, half extractive /ask)"),
              long_clients: int = typer.Option(8, help="Clients sending 2,000-character queries to /search"),
              grace: float = typer.Option(10, help="Seconds a phase waits for requests still in flight"),
              output: Optional[Path] = typer.Option(None, help="Also write the figures as JSON here")):
    """Unloaded, loaded and loaded-plus-long-queries phases against the service; a Markdown table."""
    from zhiku.evaluation.load_test import report, run

    result = run(url, port, seconds, clients, long_clients, grace)
    typer.echo(report(result))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps({k: v for k, v in result.items() if not k.startswith("_")}, indent=2,
                                     ensure_ascii=False), encoding="utf-8")


def register(group: typer.Typer) -> None:
    group.command("load")(eval_load)
