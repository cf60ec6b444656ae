"""The OpenAPI schema (/openapi.json) and its interactive pages (/docs, /redoc), for signed-in callers only.

FastAPI serves them to anyone by default; a bank's review expects 401 everywhere but health, sign-in and the static
UI shell (issue #11). The pages fetch the schema from the same origin, so a signed-in browser's session cookie (or
a client's API key) carries over.
"""
from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from zhiku.api.deps import current_caller

OPENAPI_URL = "/openapi.json"


def mount_api_docs(app: FastAPI) -> None:
    signed_in = [Depends(current_caller)]

    @app.get(OPENAPI_URL, include_in_schema=False, dependencies=signed_in)
    def openapi_schema() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=signed_in)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=OPENAPI_URL, title=f"{app.title} – API")

    @app.get("/redoc", include_in_schema=False, dependencies=signed_in)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=OPENAPI_URL, title=f"{app.title} – API")
