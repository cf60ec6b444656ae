"""Renders docs/configuration.md from the Settings class, so the docs cannot drift from the code.

Regenerate with: python -m zhiku.core.settings_docs > docs/configuration.md (a test checks they match).
"""
from __future__ import annotations

from zhiku.core.settings import Settings

HEADER = """# Configuration

Every setting is an environment variable with the prefix `ZHIKU_` (or a line in a `.env` file in the
working directory). Names are case-insensitive. This page is generated from `core/settings.py`.

| variable | default | what it does |
|---|---|---|
"""


def render() -> str:
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory is not None else field.default
        shown = "(unset)" if default is None else f"`{default}`"
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `ZHIKU_{name.upper()}` | {shown} | {description} |")
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(render(), end="")
