"""`zhiku doctor`: check that the metadata store, file store, vector index and knowledge graph agree; --repair
fixes what can be fixed (api/store_doctor.py lists the checks). Beside a running `zhiku serve` (or with --server
URL) the server runs the check (GET /admin/doctor, POST /admin/doctor/repair), with the same output."""
from __future__ import annotations

from typing import Optional

import typer

from zhiku.api.cli.common import api_key_option, open_service, server_option, store_remote


def doctor(repair: bool = typer.Option(False, "--repair", help="Fix what can be fixed (see each finding)"),
           server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Report inconsistencies between metadata, originals, vectors and graph; exit 1 if any remain."""
    remote = store_remote("doctor", server, api_key)
    if remote is not None:
        with remote:
            findings = remote.doctor(repair).findings
    else:
        from zhiku.api.store_doctor import StoreDoctor

        service = open_service()
        try:
            findings = StoreDoctor(service).examine(repair=repair)
        finally:
            service.rt.close()
    if not findings:
        typer.echo("all consistent: metadata, originals, vectors and graph agree")
        return
    remaining = 0
    for finding in findings:
        state = "repaired" if finding.repaired else ("needs --repair" if finding.repairable else "needs you")
        typer.echo(f"{finding.code}: {len(finding.items)} {finding.message} [{state}]")
        for item in finding.items[:20]:
            typer.echo(f"  {item}")
        if len(finding.items) > 20:
            typer.echo(f"  … and {len(finding.items) - 20} more")
        remaining += 0 if finding.repaired else 1
    if remaining:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(doctor)
