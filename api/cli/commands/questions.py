"""`zhiku search` and `zhiku ask`: ranked chunks with citations, and cited answers. With a server running on
the data folder (or --server URL) they ask it over HTTP, with the same output."""
from __future__ import annotations

import json
from typing import Optional

import typer

from zhiku.api.cli.common import api_key_option, open_service, remote_service, server_option


def _print_hits(hits, as_json: bool) -> None:
    """`hits`: the API's SearchHitOut, whether they came from this process or from a server."""
    if as_json:
        typer.echo(json.dumps([hit.model_dump(mode="json") for hit in hits], ensure_ascii=False, indent=2))
        return
    for i, hit in enumerate(hits, start=1):
        typer.secho(f"[{i}] {hit.score:.3f}  {hit.citation.label}", bold=True)
        typer.echo("    " + hit.text.replace("\n", " ")[:300])


def search(query: str, kb: list[str] = typer.Option(None, "--kb", help="Knowledge base(s); default all"),
           top_k: int = typer.Option(5, "--top-k", min=1, max=100), as_json: bool = typer.Option(False, "--json"),
           server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Search the knowledge base and print ranked chunks with citations."""
    remote = remote_service(server, api_key)
    if remote is not None:
        with remote:
            _print_hits(remote.search(query, kb or None, top_k), as_json)
        return
    from zhiku.api.converters import hit_out

    service = open_service()
    try:
        hits = [hit_out(h) for h in service.search(query, kb or None, top_k)]
    finally:
        service.rt.close()
    _print_hits(hits, as_json)


def _print_answer_end(text: str, streamed_sentences: bool, citation_labels: list[str]) -> None:
    typer.echo("" if streamed_sentences else text)
    for i, label in enumerate(citation_labels, start=1):
        typer.echo(f"  [{i}] {label}")


def ask(question: str, kb: list[str] = typer.Option(None, "--kb", help="Knowledge base(s); default all"),
        mode: Optional[str] = typer.Option(None, help="extractive | llm | auto (default ZHIKU_ANSWER_MODE)"),
        server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Answer from the knowledge base with numbered citations; the answer streams as it is written."""
    remote = remote_service(server, api_key)
    if remote is not None:
        with remote:
            final = None
            for event, data in remote.answer_stream(question, kb or None, mode):
                if event == "delta":
                    typer.echo(data["text"], nl=False)
                elif event == "done":
                    final = remote.answer_done(data)
        if final is not None:
            _print_answer_end(final.answer, bool(final.sentences), [hit.citation.label for hit in final.citations])
        return
    service = open_service()
    try:
        scope = service.answer_scope(kb or None)
        final = None
        for event in service.rt.answers.stream(question, scope, mode):
            if event.kind == "delta":
                typer.echo(event.text, nl=False)
            else:
                final = event.answer
    finally:
        service.rt.close()
    if final is not None:
        _print_answer_end(final.text, bool(final.sentences), [hit.citation.label() for hit in final.citations])


def register(app: typer.Typer) -> None:
    app.command()(search)
    app.command()(ask)
