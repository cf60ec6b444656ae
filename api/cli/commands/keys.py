"""`zhiku keys create|list|revoke`: API keys for other systems (shown once). With --server URL, or an API key beside
the running `zhiku serve`, the server makes the change (/api-keys) with the same output; otherwise the command works
on the metadata database directly — which is how the first key is made beside a running server."""
from __future__ import annotations

from typing import Optional

import typer

from zhiku.api.cli.common import api_key_option, fail, identity_remote, server_option
from zhiku.api.cli.local_identity import cli_caller, open_identity
from zhiku.core.errors import ZhikuError
from zhiku.core.identity.api_keys import key_state, parse_scopes

group = typer.Typer(no_args_is_help=True, help="API keys: create (shown once), list, revoke.")


def _created(key_id: str, expires_at, secret: str) -> None:
    expires = expires_at.date().isoformat() if expires_at else "never"
    typer.echo(f"key id {key_id}, expires {expires}. The key (shown only now):", err=True)
    typer.echo(secret)


@group.command("create")
def create(name: str,
           scope: list[str] = typer.Option(None, "--scope", help="<knowledge base id or *>:<search|ask|upload|admin>; "
                                           "repeat for several"),
           admin: bool = typer.Option(False, "--admin", help="The key acts as a system administrator"),
           days: Optional[int] = typer.Option(None, "--days", help="Valid for this many days (0: never expires; "
                                              "default ZHIKU_API_KEY_DEFAULT_DAYS)"),
           server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Create a key and print it once: send it as `Authorization: Bearer <key>` (the OpenAI SDK's api_key)."""
    remote = identity_remote(server, api_key)
    if remote is not None:
        scopes = parse_scopes(list(scope or []))  # a malformed scope is refused here, as in process
        with remote:
            created = remote.create_api_key(name, scopes, days, admin)
        _created(created.id, created.expires_at, created.key)
        return
    caller = cli_caller()
    with open_identity() as identity:
        try:
            created = identity.keys.create(name, list(scope or []), created_by=caller.name, expires_in_days=days,
                                           system_admin=admin)
        except ZhikuError as exc:
            fail(exc)
        identity.audit.record(caller, "api_key.create", target=name, key_id=created.key.id, scopes=created.key.scopes,
                              system_admin=admin)
        _created(created.key.id, created.key.expires_at, created.secret)


def _key_line(key_id, name, state, system_admin, scopes, expires_at, last_used_at) -> str:
    shown = "admin" if system_admin else ";".join(f"{kb}:{','.join(ops)}" for kb, ops in scopes.items())
    expires = expires_at.isoformat(timespec="seconds") if expires_at else "never"
    used = last_used_at.isoformat(timespec="seconds") if last_used_at else "never"
    return f"{key_id}\t{name}\t{state}\t{shown}\texpires {expires}\tlast used {used}"


@group.command("list")
def list_keys(server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Keys with their scopes, state, expiry and last use (never the key itself)."""
    remote = identity_remote(server, api_key)
    if remote is not None:
        with remote:
            for key in remote.api_keys():
                typer.echo(_key_line(key.id, key.name, key.state, key.system_admin, key.scopes, key.expires_at,
                                     key.last_used_at))
        return
    with open_identity() as identity:
        for key in identity.keys.list():
            typer.echo(_key_line(key.id, key.name, key_state(key), key.system_admin, key.scopes or {}, key.expires_at,
                                 key.last_used_at))


@group.command("revoke")
def revoke(key_id: str, server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Revoke a key at once."""
    remote = identity_remote(server, api_key)
    if remote is not None:
        with remote:
            key = remote.revoke_api_key(key_id)
        typer.echo(f"revoked {key.id} ({key.name})")
        return
    with open_identity() as identity:
        try:
            key = identity.keys.revoke(key_id)
        except ZhikuError as exc:
            fail(exc)
        identity.audit.record(cli_caller(), "api_key.revoke", target=key.name, key_id=key.id)
        typer.echo(f"revoked {key.id} ({key.name})")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="keys")
