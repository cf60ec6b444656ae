"""How command groups join the `zhiku` command: each module of a commands package registers itself."""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import typer


def register_package(package: ModuleType, parent: typer.Typer) -> None:
    """Call `register(parent)` of every module in `package`, in name order (so help lists them stably)."""
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        module.register(parent)
