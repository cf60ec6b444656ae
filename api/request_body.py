"""What a request body may be, checked while it streams in and before any route reads it.

- Size: an upload (multipart) may carry ZHIKU_MAX_UPLOAD_MB, anything else ZHIKU_MAX_REQUEST_KB. The declared
  Content-Length is checked first; the bytes are counted as they arrive either way, and the request is answered
  413 the moment it goes over, so a 600 MiB upload is never spooled whole.
- JSON: bodies are parsed once here, strictly: invalid UTF-8, NaN or Infinity, nesting deeper than 64 levels,
  lone surrogates ("\\ud800") and NUL characters are refused with 422 naming the problem, instead of failing
  somewhere deep inside (as a 500) or being stored.
- NUL in the path or query string is refused likewise (a database cannot store it).
"""
from __future__ import annotations

import json
import math

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhiku.api.request_guards import send_refusal

MAX_JSON_DEPTH = 64
_MULTIPART = "multipart/form-data"
_MIB = 1 << 20


class BadJson(ValueError):
    pass


def check_json(body: bytes) -> None:
    """Raises BadJson with a readable reason; an empty body is left to the route (it may need none)."""
    if not body.strip():
        return
    try:
        value = json.loads(body, parse_constant=_no_constants)
    except UnicodeDecodeError as exc:
        raise BadJson("the request body is not valid UTF-8 text") from exc
    except RecursionError as exc:
        raise BadJson(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep") from exc
    except json.JSONDecodeError as exc:
        raise BadJson(f"the request body is not valid JSON ({exc.msg} at character {exc.pos})") from exc
    _check_value(value)


def _no_constants(name: str):
    raise BadJson(f"{name} is not a JSON number; send a finite number or null")


def _check_value(value, depth: int = 0) -> None:
    stack = [(value, depth)]
    while stack:
        item, level = stack.pop()
        if level > MAX_JSON_DEPTH:
            raise BadJson(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, float) and not math.isfinite(item):  # 1e999 parses as inf
            raise BadJson("a number is too large; send a finite number")
        elif isinstance(item, dict):
            for key, inner in item.items():
                _check_text(key)
                stack.append((inner, level + 1))
        elif isinstance(item, list):
            stack.extend((inner, level + 1) for inner in item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise BadJson("a text contains a NUL character (\\u0000), which cannot be stored; remove it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadJson("a text contains a lone surrogate (such as \\ud800), which is not a character; send valid "
                      "Unicode") from exc


class RequestBodyGuard:
    def __init__(self, app: ASGIApp, max_body: int, max_upload: int):
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload + _MIB  # the multipart framing around the files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"").lower():
            await send_refusal(send, 422, "invalid_input", "the address contains a NUL character (%00); remove it")
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        limit = self.max_upload if content_type == _MULTIPART else self.max_body
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, send, limit, content_type)
            return
        if content_type == "application/json" or content_type.endswith("+json"):
            await self._json(scope, receive, send, limit)
        else:
            await self._counted(scope, receive, send, limit, content_type)

    async def _json(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before its body was complete
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await _too_large(scope, send, limit, "application/json")
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            check_json(body)
        except BadJson as exc:
            if _openai(scope):  # OpenAI's clients expect 400 invalid_json
                await send_refusal(send, 400, "invalid_json", str(exc), openai=True)
            else:
                await send_refusal(send, 422, "invalid_input", str(exc))
            return
        await self.app(scope, replay(body, then=receive), send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int, content_type: str) -> None:
        received = 0
        refused = response_started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not response_started:
                        await _too_large(scope, send, limit, content_type)
                    return {"type": "http.disconnect"}  # the route stops reading; nothing more is spooled
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return  # the route's own reply to the cut-off body: the client has its 413 already
            response_started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)


def replay(body: bytes, then: Receive) -> Receive:
    """A receive that gives the body read already, then hands over to `then` (where only the disconnect is left
    to hear)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then()

    return receive


def _openai(scope: Scope) -> bool:
    return scope.get("path", "").startswith("/v1/")


async def _too_large(scope: Scope, send: Send, limit: int, content_type: str) -> None:
    setting = "ZHIKU_MAX_UPLOAD_MB" if content_type == _MULTIPART else "ZHIKU_MAX_REQUEST_KB"
    # Connection: close, so the server stops reading the rest instead of draining it.
    await send_refusal(send, 413, "request_too_large",
                       f"the request body is larger than {limit / _MIB:,.1f} MiB ({setting}); send a smaller one",
                       {"Connection": "close"}, openai=_openai(scope))
