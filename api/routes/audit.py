"""The audit trail: system administrators only. Filter by user, action, knowledge base and time; export as
JSONL or CSV; verify the hash chain."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from zhiku.api.auth.gates import require_system_admin
from zhiku.api.auth.schemas import AuditRecordOut, AuditVerifyOut
from zhiku.api.deps import get_runtime
from zhiku.api.runtime import Runtime
from zhiku.core.access import Caller
from zhiku.core.identity.audit_trail import AuditQuery, export_csv, export_jsonl

router = APIRouter(prefix="/audit", tags=["audit"])


def _query(actor, action, kb_id, outcome, since, until, limit=100, offset=0) -> AuditQuery:
    return AuditQuery(actor=actor, action=action, kb_id=kb_id, outcome=outcome, since=since, until=until,
                      limit=limit, offset=offset)


@router.get("", response_model=list[AuditRecordOut])
def list_records(actor: str | None = Query(None, max_length=200, description="user:<id>, key:<id> or a name"),
                 action: str | None = Query(None, max_length=60, description="exact, or a prefix ending in '.'"),
                 kb_id: str | None = Query(None, max_length=32), outcome: str | None = Query(None, max_length=20),
                 since: datetime | None = None, until: datetime | None = None,
                 limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=10_000_000),
                 runtime: Runtime = Depends(get_runtime), _: Caller = Depends(require_system_admin)):
    """Newest first."""
    rows = runtime.identity.audit.query(_query(actor, action, kb_id, outcome, since, until, limit, offset))
    return [AuditRecordOut(seq=r.seq, at=r.at, actor=r.actor, actor_name=r.actor_name, action=r.action,
                           outcome=r.outcome, kb_id=r.kb_id, target=r.target, details=r.details or {}, hash=r.hash)
            for r in rows]


@router.get("/export")
def export(format: Literal["jsonl", "csv"] = "jsonl", actor: str | None = Query(None, max_length=200),
           action: str | None = Query(None, max_length=60), kb_id: str | None = Query(None, max_length=32),
           outcome: str | None = Query(None, max_length=20), since: datetime | None = None,
           until: datetime | None = None, runtime: Runtime = Depends(get_runtime),
           caller: Caller = Depends(require_system_admin)):
    """The matching records, oldest first, with their hashes (at most 100,000)."""
    trail = runtime.identity.audit
    trail.record(caller, "audit.export", format=format, action_filter=action, kb_filter=kb_id)
    rows = list(reversed(trail.query(_query(actor, action, kb_id, outcome, since, until, limit=100_000))))
    body = export_jsonl(iter(rows)) if format == "jsonl" else export_csv(iter(rows))
    media = "application/x-ndjson" if format == "jsonl" else "text/csv; charset=utf-8"
    return StreamingResponse(body, media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="zhiku-audit.{format}"'})


@router.get("/verify", response_model=AuditVerifyOut)
def verify(runtime: Runtime = Depends(get_runtime), _: Caller = Depends(require_system_admin)):
    """Check the hash chain: an edited, deleted or inserted record is named."""
    result = runtime.identity.audit.verify()
    return AuditVerifyOut(ok=result.ok, records=result.records, head_hash=result.head_hash, problems=result.problems)
