"""Secrets out of text that leaves the process (logs, error messages): passwords in URLs (scheme://user:secret@host)
and credential-like query parameters (?api_key=…, &token=…) are replaced by ***."""
from __future__ import annotations

import re

_URL_PASSWORD = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<user>[^:/?#@\s]*):(?P<secret>[^@/?#\s]+)@", re.IGNORECASE)
_SECRET_PARAMETER = re.compile(
    r"(?P<name>[?&;](?:api[_-]?key|apikey|access[_-]?token|token|password|passwd|pwd|secret|client[_-]?secret|"
    r"sig|signature|key)=)(?P<value>[^&#\s'\"]+)", re.IGNORECASE)
_BEARER = re.compile(r"(?P<name>\bBearer\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})")


def redact_secrets(text: str) -> str:
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    text = _SECRET_PARAMETER.sub(lambda m: f"{m['name']}***", text)
    return _BEARER.sub(lambda m: f"{m['name']}***", text)
