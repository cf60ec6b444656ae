"""How command groups join the `zhiku` command: each module of a commands package registers itself."""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import typer

from zhiku.api.cli.common import reports_user_errors


def register_package(package: ModuleType, parent: typer.Typer) -> None:
    """Call `register(parent)` of every module in `package`, in name order (so help lists them stably), then
    make every command report a user's mistake in one line instead of a traceback."""
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        module.register(parent)
    _report_user_errors(parent)


def _report_user_errors(group: typer.Typer) -> None:
    for command in group.registered_commands:
        if command.callback is not None and not getattr(command.callback, "reports_user_errors", False):
            command.callback = reports_user_errors(command.callback)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _report_user_errors(sub.typer_instance)
