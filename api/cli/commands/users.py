"""`zhiku users add|list|disable|enable|passwd|groups`: local users and their groups. With --server URL, or an API key
beside the running `zhiku serve`, the server makes the change (/users, /groups) with the same output; otherwise the
command works on the metadata database directly (api/cli/common.identity_remote)."""
from __future__ import annotations

import sys
from typing import Optional

import typer

from zhiku.api.cli.common import api_key_option, fail, identity_remote, server_option
from zhiku.api.cli.local_identity import cli_caller, open_identity
from zhiku.core.errors import ZhikuError

group = typer.Typer(no_args_is_help=True, help="Users: add, list, disable, set passwords and groups.")


def _read_password(from_stdin: bool) -> str:
    """From standard input (scripts: `echo "$PW" | zhiku users add bob --password-stdin`) or typed twice, hidden."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


@group.command("add")
def add(username: str, display_name: str = typer.Option("", help="Name shown in the UI"),
        admin: bool = typer.Option(False, "--admin", help="A system administrator"),
        groups: list[str] = typer.Option(None, "--group", help="Group (created if missing); repeat for several"),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input"),
        server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Add a local user (the password must meet the policy)."""
    password = _read_password(password_stdin)
    remote = identity_remote(server, api_key)
    if remote is not None:
        with remote:
            user = remote.create_user(username, password, display_name, admin, list(groups or []))
        typer.echo(f"added {user.username} ({user.id})")
        return
    with open_identity() as identity:
        try:
            user = identity.users.create_user(username, password, display_name, system_admin=admin)
            if groups:
                identity.users.set_groups(user.id, list(groups))
        except ZhikuError as exc:
            fail(exc)
        identity.audit.record(cli_caller(), "user.create", target=user.username, system_admin=admin,
                              groups=list(groups or []))
        typer.echo(f"added {user.username} ({user.id})")


def _user_line(username, display_name, system_admin, disabled, source, groups, last_login_at) -> str:
    role = "admin" if system_admin else "employee"
    state = "disabled" if disabled else "active"
    last = last_login_at.isoformat(timespec="seconds") if last_login_at else "never"
    return (f"{username}\t{display_name}\t{role}\t{state}\t{source}\tgroups={','.join(groups) or '-'}\t"
            f"last sign-in {last}")


@group.command("list")
def list_users(server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Users with their role, groups and last sign-in."""
    remote = identity_remote(server, api_key)
    if remote is not None:
        with remote:
            for user in remote.users():
                typer.echo(_user_line(user.username, user.display_name, user.system_admin, user.disabled, user.source,
                                      user.groups, user.last_login_at))
        return
    with open_identity() as identity:
        for user in identity.users.list_users():
            typer.echo(_user_line(user.username, user.display_name, user.system_admin, user.disabled, user.source,
                                  [g.name for g in identity.users.groups_of(user.id)], user.last_login_at))


def _set_disabled(username: str, disabled: bool, server: Optional[str], api_key: Optional[str]) -> None:
    remote = identity_remote(server, api_key)
    if remote is not None:
        with remote:
            user = remote.update_user(username, disabled=disabled)  # the server ends a disabled user's sessions
        typer.echo(f"{user.username} {'disabled' if disabled else 'enabled'}")
        return
    with open_identity() as identity:
        try:
            user = identity.users.update_user(username, disabled=disabled)
        except ZhikuError as exc:
            fail(exc)
        ended = identity.sessions.end_all_of(user.id) if disabled else 0
        identity.audit.record(cli_caller(), "user.update", target=user.username, disabled=disabled)
        typer.echo(f"{user.username} {'disabled' if disabled else 'enabled'}" +
                   (f"; {ended} session(s) ended" if ended else ""))


@group.command("disable")
def disable(username: str, server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Disable a user: sign-in refused, open sessions ended."""
    _set_disabled(username, True, server, api_key)


@group.command("enable")
def enable(username: str, server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Enable a disabled user again."""
    _set_disabled(username, False, server, api_key)


@group.command("passwd")
def passwd(username: str,
           password_stdin: bool = typer.Option(False, "--password-stdin",
                                               help="Read the password from standard input"),
           server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Set a local user's password (ends the user's sessions and lifts a sign-in lockout)."""
    password = _read_password(password_stdin)
    remote = identity_remote(server, api_key)
    if remote is not None:
        with remote:
            user = remote.user(username)
            remote.set_password(user.id, password)
        typer.echo(f"password of {user.username} set")
        return
    with open_identity() as identity:
        try:
            user = identity.users.set_password(username, password)
        except ZhikuError as exc:
            fail(exc)
        identity.sessions.end_all_of(user.id)
        identity.throttle.unlock(user.username)
        identity.audit.record(cli_caller(), "user.password_set", target=user.username)
        typer.echo(f"password of {user.username} set")


@group.command("groups")
def groups(username: str,
           set_: Optional[list[str]] = typer.Option(None, "--set", help="Make these the user's groups (created if "
                                                     "missing); repeat for several. Without it: show them"),
           server: Optional[str] = server_option(), api_key: Optional[str] = api_key_option()):
    """Show or set a user's groups."""
    remote = identity_remote(server, api_key)
    if remote is not None:
        with remote:
            user = remote.set_groups(username, list(set_)) if set_ is not None else remote.user(username)
        typer.echo(" ".join(user.groups))
        return
    with open_identity() as identity:
        try:
            user = identity.users.get_user(username)
            if set_ is not None:
                identity.users.set_groups(user.id, list(set_))
                identity.audit.record(cli_caller(), "user.groups_set", target=user.username, groups=list(set_))
        except ZhikuError as exc:
            fail(exc)
        typer.echo(" ".join(g.name for g in identity.users.groups_of(user.id)))


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="users")
