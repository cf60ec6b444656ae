"""Service API keys: system administrators only. A key is shown once, in the reply that creates it."""
from __future__ import annotations

from fastapi import APIRouter, Depends, status

from zhiku.api.auth.gates import require_system_admin
from zhiku.api.auth.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut
from zhiku.api.deps import get_runtime
from zhiku.api.runtime import Runtime
from zhiku.core.access import Caller
from zhiku.core.identity.api_keys import key_state

router = APIRouter(prefix="/api-keys", tags=["API keys"])


def key_out(key) -> dict:
    return dict(id=key.id, name=key.name, scopes=key.scopes or {}, system_admin=key.system_admin,
                created_by=key.created_by, created_at=key.created_at, expires_at=key.expires_at,
                last_used_at=key.last_used_at, revoked_at=key.revoked_at, state=key_state(key))


@router.get("", response_model=list[ApiKeyOut])
def list_keys(runtime: Runtime = Depends(get_runtime), _: Caller = Depends(require_system_admin)):
    return [ApiKeyOut(**key_out(k)) for k in runtime.identity.keys.list()]


@router.post("", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_key(body: ApiKeyIn, runtime: Runtime = Depends(get_runtime), caller: Caller = Depends(require_system_admin)):
    """Scopes: {"<knowledge base id>" or "*": ["search", "ask", "upload", "admin"]}."""
    created = runtime.identity.keys.create(body.name, body.scopes, created_by=caller.name or caller.subject,
                                           expires_in_days=body.expires_in_days, system_admin=body.system_admin)
    runtime.identity.audit.record(caller, "api_key.create", target=created.key.name, key_id=created.key.id,
                                  scopes=created.key.scopes, system_admin=body.system_admin,
                                  expires_at=created.key.expires_at)
    return ApiKeyCreated(**key_out(created.key), key=created.secret)


@router.delete("/{key_id}", response_model=ApiKeyOut)
def revoke_key(key_id: str, runtime: Runtime = Depends(get_runtime), caller: Caller = Depends(require_system_admin)):
    """Revoke a key at once (it stays listed, as revoked)."""
    key = runtime.identity.keys.revoke(key_id)
    runtime.identity.audit.record(caller, "api_key.revoke", target=key.name, key_id=key.id)
    return ApiKeyOut(**key_out(key))
