"""Role gates that do not depend on a knowledge base: only system administrators manage users, groups, API keys
and the audit trail, and create knowledge bases. (Per-knowledge-base gates live with authorisation.)"""
from __future__ import annotations

from fastapi import Depends

from zhiku.api.deps import current_caller
from zhiku.core.access import Caller
from zhiku.core.errors import Forbidden


def require_system_admin(caller: Caller = Depends(current_caller)) -> Caller:
    if not caller.system_admin:
        raise Forbidden("Only a system administrator may do this.")
    return caller
