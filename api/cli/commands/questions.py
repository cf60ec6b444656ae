"""`zhiku search` and `zhiku ask`: ranked chunks with citations, and cited answers."""
from __future__ import annotations

import json
from typing import Optional

import typer

from zhiku.api.cli.common import fail, open_service
from zhiku.core.errors import ZhikuError


def search(query: str, kb: list[str] = typer.Option(None, "--kb", help="Knowledge base(s); default all"),
           top_k: int = typer.Option(5, "--top-k"), as_json: bool = typer.Option(False, "--json")):
    """Search the knowledge base and print ranked chunks with citations."""
    from zhiku.api.converters import hit_out

    service = open_service()
    try:
        hits = service.search(query, kb or None, top_k)
    except ZhikuError as exc:
        fail(exc)
    finally:
        service.rt.close()
    if as_json:
        typer.echo(json.dumps([hit_out(h).model_dump() for h in hits], ensure_ascii=False, indent=2))
        return
    for i, hit in enumerate(hits, start=1):
        typer.secho(f"[{i}] {hit.score:.3f}  {hit.citation.label()}", bold=True)
        typer.echo("    " + hit.text.replace("\n", " ")[:300])


def ask(question: str, kb: list[str] = typer.Option(None, "--kb", help="Knowledge base(s); default all"),
        mode: Optional[str] = typer.Option(None, help="extractive | llm | auto (default ZHIKU_ANSWER_MODE)")):
    """Answer from the knowledge base with numbered citations; the answer streams as it is written."""
    service = open_service()
    try:
        scope = service.answer_scope(kb or None)
        final = None
        for event in service.rt.answers.stream(question, scope, mode):
            if event.kind == "delta":
                typer.echo(event.text, nl=False)
            else:
                final = event.answer
        typer.echo("" if final and final.sentences else final.text if final else "")
    except ZhikuError as exc:
        fail(exc)
    finally:
        service.rt.close()
    for i, hit in enumerate(final.citations, start=1):
        typer.echo(f"  [{i}] {hit.citation.label()}")


def register(app: typer.Typer) -> None:
    app.command()(search)
    app.command()(ask)
