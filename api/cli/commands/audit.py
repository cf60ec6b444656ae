"""`zhiku audit verify|export`: check the audit trail's hash chain; export it as JSONL or CSV. With --server URL, or
an API key beside the running `zhiku serve`, the server answers (/audit/verify, /audit/export) with the same output;
otherwise the command reads the metadata database directly."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

import typer

from zhiku.api.cli.common import api_key_option, identity_remote, server_option
from zhiku.api.cli.local_identity import open_identity

group = typer.Typer(no_args_is_help=True, help="The audit trail: verify its hash chain, export it.")


@group.command("verify")
def verify(server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Exit 0 when every record is intact and in sequence; else name the edited, deleted or inserted records (exit 1).
    Keep the printed head hash elsewhere: a later run that ends on another hash had records removed at the end."""
    remote = identity_remote(server, api_key)
    if remote is not None:
        with remote:
            result = remote.audit_verify()
    else:
        with open_identity() as identity:
            result = identity.audit.verify()
    for problem in result.problems:
        typer.secho(problem, fg=typer.colors.RED, err=True)
    typer.echo(f"{result.records} records, head hash {result.head_hash}: {'intact' if result.ok else 'TAMPERED'}")
    raise typer.Exit(0 if result.ok else 1)


def _write(pieces, output: Optional[Path]) -> None:
    if output is None:
        for piece in pieces:
            typer.echo(piece, nl=False)
        return
    with output.open("w", encoding="utf-8", newline="") as out:
        out.writelines(pieces)
    typer.echo(f"wrote {output}", err=True)


@group.command("export")
def export(format: str = typer.Option("jsonl", "--format", help="jsonl or csv"),
           output: Optional[Path] = typer.Option(None, "--output", "-o", help="File (default: standard output)"),
           user: Optional[str] = typer.Option(None, "--user", help="user:<id>, key:<id> or a name"),
           action: Optional[str] = typer.Option(None, "--action", help="exact, or a prefix ending in '.'"),
           kb: Optional[str] = typer.Option(None, "--kb", help="knowledge base id"),
           since: Optional[datetime] = typer.Option(None, "--since"),
           until: Optional[datetime] = typer.Option(None, "--until"),
           server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Export the records (oldest first, with their hashes)."""
    from zhiku.core.identity.audit_trail import AuditQuery, export_csv, export_jsonl

    if format not in ("jsonl", "csv"):
        raise typer.BadParameter("--format is jsonl or csv")
    remote = identity_remote(server, api_key)
    if remote is not None:  # the server records the export itself (audit.export); at most 100,000 records
        with remote:
            _write(remote.audit_export({"format": format, "actor": user, "action": action, "kb_id": kb,
                                        "since": since, "until": until}), output)
        return
    with open_identity() as identity:
        if any((user, action, kb, since, until)):
            rows = iter(reversed(identity.audit.query(AuditQuery(actor=user, action=action, kb_id=kb, since=since,
                                                                 until=until, limit=100_000))))
        else:
            rows = identity.audit.iter_all()
        _write(export_jsonl(rows) if format == "jsonl" else export_csv(rows), output)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="audit")
