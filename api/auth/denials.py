"""Every refusal of who is asking (401) or of what they asked (403) goes to the audit trail."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from zhiku.core.errors import Forbidden, Unauthenticated, ZhikuError
from zhiku.core.redaction import redact_secrets

log = logging.getLogger(__name__)


def install_denial_audit(app: FastAPI) -> None:
    async def refused(request: Request, exc: ZhikuError):
        runtime = getattr(request.app.state, "runtime", None)
        if runtime is not None:
            try:  # a database write: off the event loop
                await run_in_threadpool(runtime.identity.audit.record, getattr(request.state, "caller", None),
                                        "access.denied", outcome="denied", status=exc.http_status,
                                        method=request.method, path=request.url.path, reason=exc.message)
            except Exception:  # noqa: BLE001 - the refusal stands even if the trail cannot be written
                log.exception("could not write a denial to the audit trail")
        message = redact_secrets(exc.message)
        # The /v1 routes answer in OpenAI's error shape, which its SDKs read (AuthenticationError and so on).
        content = {"error": {"message": message, "type": "invalid_request_error", "code": exc.code, "param": None}} \
            if request.url.path.startswith("/v1/") else {"error": exc.code, "message": message}
        return JSONResponse(status_code=exc.http_status, content=content, headers=getattr(exc, "headers", None))

    app.add_exception_handler(Unauthenticated, refused)
    app.add_exception_handler(Forbidden, refused)
