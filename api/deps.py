"""FastAPI dependencies: the runtime and service live on app.state, built once at start-up."""
from __future__ import annotations

from fastapi import Request

from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_service(request: Request) -> KnowledgeService:
    return request.app.state.service


def current_caller(request: Request):
    """The caller of this request (core/access.Caller), from its API key or session cookie (api/auth/credentials.py);
    no credential: 401. Set on request.state.caller for the rate limits and the audit trail. FastAPI runs it once
    per request however many dependencies name it."""
    from zhiku.api.auth.credentials import resolve_caller

    cached = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    caller = resolve_caller(request, request.app.state.runtime.identity)
    request.state.caller = caller
    return caller
