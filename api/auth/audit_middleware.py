"""The audit trail of what callers do through the API, recorded around the routes so each route stays about its
own work: questions and searches (the question, the knowledge bases asked, the chunk ids retrieved and the answer's
id, read from the reply or its event stream), uploads, deletions, re-indexing, knowledge-base changes and
permission changes (a knowledge base's readers and admins, a document's readers: the new lists, as the route
stored them, read from its reply).

Sign-in, users, groups, API keys, the audit routes and the store check (/admin/doctor) record their own, richer events; refusals (401/403) are
recorded by api/auth/denials.py. Requests refused for their input (4xx) are not recorded: nothing happened.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

_QUESTION_PATHS = re.compile(r"^/(ask|answer|search|assistant/chat|v1/chat/completions|research/ask|reports/[\w-]+)$")
_SELF_RECORDED = ("/auth/", "/users", "/groups", "/api-keys", "/audit", "/admin/")
_KB_IN_PATH = re.compile(r"/knowledge-bases/([0-9a-f]{32})")
_ACTIONS = [  # (method, path pattern, action)
    ("POST", re.compile(r"^/knowledge-bases$"), "kb.create"),
    ("PATCH", re.compile(r"^/knowledge-bases/[^/]+$"), "kb.update"),
    ("DELETE", re.compile(r"^/knowledge-bases/[^/]+$"), "kb.delete"),
    ("POST", re.compile(r"^/knowledge-bases/[^/]+/documents$"), "document.upload"),
    ("DELETE", re.compile(r"^/documents/[^/]+$"), "document.delete"),
    ("POST", re.compile(r"^/documents/[^/]+/reindex$"), "document.reindex"),
    ("PUT", re.compile(r"^/knowledge-bases/[^/]+/access$"), "kb.permissions_set"),
    ("PATCH", re.compile(r"^/documents/[^/]+/readers$"), "document.readers_set"),
]
_MAX_CAPTURE = 4 << 20  # bytes of a reply read for chunk ids; a larger reply is recorded without them


def _action(method: str, path: str) -> str:
    for wanted, pattern, action in _ACTIONS:
        if method == wanted and pattern.match(path):
            return action
    return f"api.{method.lower()}"


def _chunk_ids(value: Any, found: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "chunk_id" and isinstance(item, str):
                if item not in found:
                    found.append(item)
            else:
                _chunk_ids(item, found)
    elif isinstance(value, list):
        for item in value:
            _chunk_ids(item, found)


def _json_documents(body: bytes, content_type: str) -> list[Any]:
    """The reply as JSON values: the body itself, or each `data:` line of an event stream."""
    text = body.decode("utf-8", "replace")
    if "text/event-stream" in content_type:
        values = []
        for line in text.splitlines():
            if line.startswith("data: ") and line[6:].strip() not in ("", "[DONE]"):
                try:
                    values.append(json.loads(line[6:]))
                except ValueError:
                    continue
        return values
    try:
        return [json.loads(text)]
    except ValueError:
        return []


def _answer_id(documents: list[Any]) -> str | None:
    for document in reversed(documents):
        if isinstance(document, dict):
            if isinstance(document.get("message_id"), str):
                return document["message_id"]
            if isinstance(document.get("id"), str) and document["id"].startswith("chatcmpl-"):
                return document["id"]
            if isinstance(document.get("conversation_id"), str) and isinstance(document.get("id"), str):
                return document["id"]
    return None


def _question(request: Any) -> tuple[str | None, list[str]]:
    if not isinstance(request, dict):
        return None, []
    question = request.get("question") or request.get("query") or request.get("message") or request.get("company")
    messages = request.get("messages")
    if question is None and isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        content = messages[-1].get("content")
        question = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    kbs = request.get("knowledge_bases") or ([request["model"]] if isinstance(request.get("model"), str) else [])
    return (str(question)[:2000] if question is not None else None), [str(k) for k in kbs][:50]


class AuditMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        question_route = method == "POST" and bool(_QUESTION_PATHS.match(path))
        changing = method in ("POST", "PUT", "PATCH", "DELETE") and not path.startswith(_SELF_RECORDED)
        if not (question_route or changing):
            await self.app(scope, receive, send)
            return
        request_body, reply, status, content_type = bytearray(), bytearray(), [0], [""]
        capture_reply = [True]

        async def receive_and_keep() -> Message:
            message = await receive()
            if question_route and message["type"] == "http.request" and len(request_body) < _MAX_CAPTURE:
                request_body.extend(message.get("body", b""))
            return message

        async def send_and_keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                content_type[0] = next((v.decode("latin-1") for k, v in message.get("headers", [])
                                        if k.lower() == b"content-type"), "")
            elif message["type"] == "http.response.body" and capture_reply[0]:
                reply.extend(message.get("body", b""))
                if len(reply) > _MAX_CAPTURE:
                    capture_reply[0] = False
                    reply.clear()
            await send(message)

        try:
            await self.app(scope, receive_and_keep if question_route else receive, send_and_keep)
        finally:
            if 200 <= status[0] < 400:
                try:  # a database write: off the event loop
                    await run_in_threadpool(self._record, scope, method, path, question_route, bytes(request_body),
                                            bytes(reply), content_type[0], status[0], capture_reply[0])
                except Exception:  # noqa: BLE001 - the reply has gone; a failed record is logged, not raised
                    log.exception("could not write %s %s to the audit trail", method, path)

    @staticmethod
    def _record(scope, method, path, question_route, request_body, reply, content_type, status, complete) -> None:
        app = scope.get("app")
        runtime = getattr(getattr(app, "state", None), "runtime", None)
        caller = (scope.get("state") or {}).get("caller")
        if runtime is None or caller is None:
            return
        trail = runtime.identity.audit
        kb_match = _KB_IN_PATH.search(path)
        kb_id = kb_match.group(1) if kb_match else None
        documents = _json_documents(reply, content_type) if complete else []
        if question_route:
            try:
                asked = json.loads(request_body or b"null")
            except ValueError:
                asked = None
            question, kbs = _question(asked)
            chunk_ids: list[str] = []
            _chunk_ids(documents, chunk_ids)
            trail.record(caller, "search" if path == "/search" else "question", kb_id=kbs[0] if len(kbs) == 1 else None,
                         target=path, question=question, knowledge_bases=kbs, chunk_ids=chunk_ids[:200],
                         answer_id=_answer_id(documents), stream="text/event-stream" in content_type)
            return
        details: dict[str, Any] = {"method": method, "path": path, "status": status}
        action = _action(method, path)
        if action == "document.upload" and documents and isinstance(documents[0], dict):
            items = documents[0].get("items") or []
            details["documents"] = [{"document_id": (i.get("document") or {}).get("id"),
                                     "name": (i.get("document") or {}).get("name"), "outcome": i.get("outcome")}
                                    for i in items if isinstance(i, dict)][:100]
        if action == "kb.create" and documents and isinstance(documents[0], dict):
            kb_id = documents[0].get("id") if isinstance(documents[0].get("id"), str) else kb_id
            details["name"] = documents[0].get("name")
        reply_body = documents[0] if documents and isinstance(documents[0], dict) else {}
        if action == "kb.permissions_set":
            details["readers"], details["admins"] = reply_body.get("readers"), reply_body.get("admins")
        if action == "document.readers_set":
            kb_id = reply_body.get("kb_id") if isinstance(reply_body.get("kb_id"), str) else kb_id
            details["readers"] = reply_body.get("access_principals")
        trail.record(caller, action, kb_id=kb_id, target=path, **details)
