from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from zhiku.api.deps import get_runtime
from zhiku.api.runtime import Runtime
from zhiku.core.redaction import redact_secrets
from zhiku.index.vector_store import ChunkFilter

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz():
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(runtime: Runtime = Depends(get_runtime)):
    """The metadata store, the vector store and (when enabled) the knowledge-graph server answer."""
    checks: dict[str, str] = {}
    try:
        runtime.metadata.ping()
        checks["metadata_store"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report, don't raise
        checks["metadata_store"] = f"error: {redact_secrets(str(exc))}"
    try:
        runtime.vector_store.count(ChunkFilter())
        checks["vector_store"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["vector_store"] = f"error: {redact_secrets(str(exc))}"
    if runtime.settings.graph_enabled:
        try:
            checks["graph_store"] = "ok" if runtime.graph_store is not None and runtime.graph_store.ping() else "error"
        except Exception as exc:  # noqa: BLE001
            checks["graph_store"] = f"error: {redact_secrets(str(exc))}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(status_code=200 if ready else 503, content={"status": "ready" if ready else "not ready", **checks})
