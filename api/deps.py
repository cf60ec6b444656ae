"""FastAPI dependencies: the runtime and service live on app.state, built once at start-up."""
from __future__ import annotations

from fastapi import Request

from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_service(request: Request) -> KnowledgeService:
    return request.app.state.service
