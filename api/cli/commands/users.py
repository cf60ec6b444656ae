"""`zhiku users add|list|disable|enable|passwd|groups`: local users and their groups."""
from __future__ import annotations

import sys
from typing import Optional

import typer

from zhiku.api.cli.common import fail
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
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input")):
    """Add a local user (the password must meet the policy)."""
    password = _read_password(password_stdin)
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


@group.command("list")
def list_users():
    """Users with their role, groups and last sign-in."""
    with open_identity() as identity:
        for user in identity.users.list_users():
            groups = ",".join(g.name for g in identity.users.groups_of(user.id)) or "-"
            role = "admin" if user.system_admin else "employee"
            state = "disabled" if user.disabled else "active"
            last = user.last_login_at.isoformat(timespec="seconds") if user.last_login_at else "never"
            typer.echo(f"{user.username}\t{user.display_name}\t{role}\t{state}\t{user.source}\tgroups={groups}\t"
                       f"last sign-in {last}")


def _set_disabled(username: str, disabled: bool) -> None:
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
def disable(username: str):
    """Disable a user: sign-in refused, open sessions ended."""
    _set_disabled(username, True)


@group.command("enable")
def enable(username: str):
    """Enable a disabled user again."""
    _set_disabled(username, False)


@group.command("passwd")
def passwd(username: str,
           password_stdin: bool = typer.Option(False, "--password-stdin",
                                               help="Read the password from standard input")):
    """Set a local user's password (ends the user's sessions and lifts a sign-in lockout)."""
    password = _read_password(password_stdin)
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
                                                     "missing); repeat for several. Without it: show them")):
    """Show or set a user's groups."""
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
