"""The FastAPI application."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.routes import (answers, assistant, documents, graph, health, knowledge_bases, openai_compat, reports, research,
                        search, sources)
from zhiku.api.runtime import Runtime
from zhiku.api.security_headers import SecurityHeadersMiddleware
from zhiku.core.errors import ZhikuError
from zhiku.core.settings import Settings, get_settings
from zhiku.ui import mount_ui


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        rt = runtime or Runtime(settings)
        app.state.runtime = rt
        app.state.service = KnowledgeService(rt)
        rt.start()
        if settings.load_demo:
            from zhiku.api.demo_loader import load_demo_kb

            load_demo_kb(app.state.service)
        try:
            yield
        finally:
            if runtime is None:  # a runtime passed in belongs to the caller
                rt.close()

    app = FastAPI(title="Zhiku 知库", version="0.1.0", lifespan=lifespan,
                  description="Multimodal RAG knowledge base for banks: ingestion, hybrid retrieval, cited answers.")

    @app.exception_handler(ZhikuError)
    async def zhiku_error(_: Request, exc: ZhikuError):
        return JSONResponse(status_code=exc.http_status, content={"error": exc.code, "message": exc.message})

    for module in (health, knowledge_bases, documents, sources, search, answers, assistant, reports, research, graph,
                   openai_compat):
        app.include_router(module.router)
    mount_ui(app)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
