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
    """The caller of this request. Until sign-in lands (issue #11) every request is the system itself.

    Authentication replaces this body; routes and the authorisation code only depend on its signature.
    """
    from zhiku.core.access import SYSTEM_CALLER

    request.state.caller = SYSTEM_CALLER
    return SYSTEM_CALLER
