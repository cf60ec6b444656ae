"""The FastAPI application."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.auth.audit_middleware import AuditMiddleware
from zhiku.api.auth.denials import install_denial_audit
from zhiku.api.api_docs import mount_api_docs
from zhiku.api.deps import current_caller
from zhiku.api.routes import (admin, answers, api_keys, assistant, audit, auth, documents, graph, groups, health,
                              knowledge_bases, openai_compat, reports, research, search, sources, users)
from zhiku.api.rate_limits import RateLimits, enforce_rate_limit
from zhiku.api.request_body import RequestBodyGuard
from zhiku.api.request_guards import OriginCheckMiddleware, TrustedHostMiddleware
from zhiku.api.runtime import Runtime
from zhiku.api.security_headers import SecurityHeadersMiddleware
from zhiku.api.work_limits import ConcurrencyLimitMiddleware, RouteCost, WorkQueue
from zhiku.core.errors import ZhikuError
from zhiku.core.redaction import redact_secrets
from zhiku.guardrails.log_masking import install_log_masking
from zhiku.core.settings import Settings, get_settings
from zhiku.ui import mount_ui


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()
    install_log_masking(settings.mask_pii_in_logs)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        rt = runtime or Runtime(settings)
        app.state.runtime = rt
        app.state.service = KnowledgeService(rt)
        rt.start()
        if settings.load_demo:  # the demo's admin, credit officer and teller, before a first admin is invented
            from zhiku.api.demo_users import ensure_demo_users

            ensure_demo_users(rt.identity)
        rt.identity.ensure_first_admin()
        rt.identity.sessions.purge_ended()
        if settings.load_demo:
            from zhiku.api.demo_loader import load_demo_kb

            load_demo_kb(app.state.service)
        try:
            yield
        finally:
            if runtime is None:  # a runtime passed in belongs to the caller
                rt.close()

    # The schema and its interactive pages are served behind sign-in like every other route (mount_api_docs).
    app = FastAPI(title="Zhiku 知库", version="0.1.0", lifespan=lifespan, openapi_url=None, docs_url=None,
                  redoc_url=None,
                  description="Multimodal RAG knowledge base for banks: ingestion, hybrid retrieval, cited answers.")
    mount_api_docs(app)

    @app.exception_handler(ZhikuError)
    async def zhiku_error(_: Request, exc: ZhikuError):
        return JSONResponse(status_code=exc.http_status,
                            content={"error": exc.code, "message": redact_secrets(exc.message)},
                            headers=getattr(exc, "headers", None))

    app.state.rate_limits = RateLimits(settings.rate_limit_expensive, settings.rate_limit_other,
                                       settings.rate_limit_storage)
    install_denial_audit(app)
    app.include_router(health.router)
    # Sign-in and sign-out answer anonymous callers (rate-limited per address); every other router first
    # resolves the caller (401 without a credential), then rate-limits per caller (api/rate_limits.py).
    app.include_router(auth.router, dependencies=[Depends(enforce_rate_limit)])
    for module in (knowledge_bases, documents, sources, search, answers, assistant, reports, research, graph,
                   openai_compat, users, groups, api_keys, audit, admin):
        app.include_router(module.router, dependencies=[Depends(current_caller), Depends(enforce_rate_limit)])
    mount_ui(app)
    # The last added runs first: headers on every response, refusals included.
    app.add_middleware(AuditMiddleware)  # innermost: records what the routes did, with the caller they resolved
    queue = dict(max_waiting=settings.queue_length, max_wait_s=settings.work_queue_wait_seconds)
    app.add_middleware(ConcurrencyLimitMiddleware, queues={
        RouteCost.SEARCH: WorkQueue(settings.search_slots, **queue),
        RouteCost.ANSWER: WorkQueue(settings.answer_slots, **queue),
        RouteCost.PREVIEW: WorkQueue(settings.concurrent_previews, **queue)})
    app.add_middleware(RequestBodyGuard, max_body=settings.max_request_kb * 1024, max_upload=settings.max_upload_bytes)
    app.add_middleware(OriginCheckMiddleware, allowed_origins=settings.allowed_origins)
    app.add_middleware(TrustedHostMiddleware, allowed=settings.trusted_hosts)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
