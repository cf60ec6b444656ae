"""Names and descriptions as plain text: no control or format characters (PostgreSQL refuses NUL; terminals and
log viewers obey escape sequences; bidirectional overrides disguise names)."""
from __future__ import annotations

import unicodedata


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(c)[0] == "C" for c in value)


def without_control_characters(value: str) -> str:
    return "".join(c for c in value if unicodedata.category(c)[0] != "C")
