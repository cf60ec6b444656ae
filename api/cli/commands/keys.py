"""`zhiku keys create|list|revoke`: API keys for other systems (shown once)."""
from __future__ import annotations

from typing import Optional

import typer

from zhiku.api.cli.common import fail
from zhiku.api.cli.local_identity import cli_caller, open_identity
from zhiku.core.errors import ZhikuError
from zhiku.core.identity.api_keys import key_state

group = typer.Typer(no_args_is_help=True, help="API keys: create (shown once), list, revoke.")


@group.command("create")
def create(name: str,
           scope: list[str] = typer.Option(None, "--scope", help="<knowledge base id or *>:<search|ask|upload|admin>; "
                                           "repeat for several"),
           admin: bool = typer.Option(False, "--admin", help="The key acts as a system administrator"),
           days: Optional[int] = typer.Option(None, "--days", help="Valid for this many days (0: never expires; "
                                              "default ZHIKU_API_KEY_DEFAULT_DAYS)")):
    """Create a key and print it once: send it as `Authorization: Bearer <key>` (the OpenAI SDK's api_key)."""
    caller = cli_caller()
    with open_identity() as identity:
        try:
            created = identity.keys.create(name, list(scope or []), created_by=caller.name, expires_in_days=days,
                                           system_admin=admin)
        except ZhikuError as exc:
            fail(exc)
        identity.audit.record(caller, "api_key.create", target=name, key_id=created.key.id, scopes=created.key.scopes,
                              system_admin=admin)
        expires = created.key.expires_at.date().isoformat() if created.key.expires_at else "never"
        typer.echo(f"key id {created.key.id}, expires {expires}. The key (shown only now):", err=True)
        typer.echo(created.secret)


@group.command("list")
def list_keys():
    """Keys with their scopes, state, expiry and last use (never the key itself)."""
    with open_identity() as identity:
        for key in identity.keys.list():
            scopes = "admin" if key.system_admin else \
                ";".join(f"{kb}:{','.join(ops)}" for kb, ops in key.scopes.items())
            expires = key.expires_at.isoformat(timespec="seconds") if key.expires_at else "never"
            used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
            typer.echo(f"{key.id}\t{key.name}\t{key_state(key)}\t{scopes}\texpires {expires}\tlast used {used}")


@group.command("revoke")
def revoke(key_id: str):
    """Revoke a key at once."""
    with open_identity() as identity:
        try:
            key = identity.keys.revoke(key_id)
        except ZhikuError as exc:
            fail(exc)
        identity.audit.record(cli_caller(), "api_key.revoke", target=key.name, key_id=key.id)
        typer.echo(f"revoked {key.id} ({key.name})")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="keys")
