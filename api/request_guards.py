"""Requests refused before any route runs: a Host the service does not answer to (DNS rebinding), and a
state-changing request sent by a page of another origin (cross-site request forgery).

The Origin check needs no session state: a browser names the page's origin on every POST, PUT, PATCH and DELETE
(Referer where an old one does not); API clients (the CLI, SDKs, curl) send neither and are let through, as
they carry their own credentials. Sign-in with cookies adds CSRF tokens on top of this.
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


async def send_refusal(send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                       openai: bool = False) -> None:
    """An error reply sent by a middleware before any route: in the API's own shape ({"error", "message"}), or in
    OpenAI's ({"error": {"message", "type", "code", "param"}}) for the /v1 routes, whose SDK clients expect it."""
    content = {"error": {"message": message, "type": "invalid_request_error", "code": code, "param": None}} \
        if openai else {"error": code, "message": message}
    body = json.dumps(content).encode()
    extra = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": body})


def split_host(value: str) -> tuple[str, int | None]:
    """'Example.com:8000' → ('example.com', 8000); '[::1]:8000' → ('::1', 8000); a bad port → (host, -1)."""
    value = value.strip().lower()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = value.partition(":")
    if not port:
        return host, None
    return host, int(port) if port.isdigit() else -1


def host_matches(host: str, pattern: str) -> bool:
    pattern = pattern.strip().lower().strip("[]")
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


class TrustedHostMiddleware:
    """Answers only to the host names of ZHIKU_TRUSTED_HOSTS (Starlette's own splits IPv6 addresses wrongly)."""

    def __init__(self, app: ASGIApp, allowed: list[str]):
        self.app = app
        self.allowed = list(allowed)
        self.any = "*" in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host, port = split_host(Headers(scope=scope).get("host", ""))
        if port == -1 or not any(host_matches(host, pattern) for pattern in self.allowed):
            await send_refusal(send, 400, "untrusted_host",
                          "This server does not answer to that host name. An administrator can add it to "
                          "ZHIKU_TRUSTED_HOSTS.")
            return
        await self.app(scope, receive, send)


class OriginCheckMiddleware:
    """Refuses a state-changing request whose Origin (or, without one, Referer) is neither this server nor one of
    ZHIKU_ALLOWED_ORIGINS."""

    def __init__(self, app: ASGIApp, allowed_origins: list[str]):
        self.app = app
        self.allowed = {_normal_origin(origin) for origin in allowed_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        source = headers.get("origin") or headers.get("referer")
        if source is not None and not self._allowed(source, headers.get("host", "")):
            await send_refusal(send, 403, "cross_origin_request",
                          "Refused: this request was sent by a page of another site. Use Zhiku's own pages, or ask "
                          "an administrator to add that site to ZHIKU_ALLOWED_ORIGINS.")
            return
        await self.app(scope, receive, send)

    def _allowed(self, source: str, host_header: str) -> bool:
        origin = _normal_origin(source)
        if origin is None:  # "null" (a sandboxed frame, a file:// page) or garbage
            return False
        if origin in self.allowed:
            return True
        # Same origin: the page's host and port are the ones this request was sent to. The scheme is not
        # compared: behind a proxy that ends TLS the service sees http while the page is https.
        scheme, netloc = origin.split("://", 1)
        return split_host(netloc) == _with_default_port(split_host(host_header), scheme)


def _normal_origin(value: str) -> str | None:
    parts = urlsplit(value.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"


def _with_default_port(host_port: tuple[str, int | None], scheme: str) -> tuple[str, int | None]:
    host, port = host_port
    return host, port if port is not None else _DEFAULT_PORTS[scheme]
