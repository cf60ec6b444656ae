"""Users and their groups: system administrators only."""
from __future__ import annotations

from fastapi import APIRouter, Depends, status

from zhiku.api.auth.gates import require_system_admin
from zhiku.api.auth.schemas import GroupsSetIn, PasswordSetIn, UserIn, UserOut, UserPatch
from zhiku.api.deps import get_runtime
from zhiku.api.runtime import Runtime
from zhiku.core.access import Caller
from zhiku.core.errors import InvalidInput

router = APIRouter(prefix="/users", tags=["users and groups"])


def user_out(runtime: Runtime, user) -> UserOut:
    return UserOut(id=user.id, username=user.username, display_name=user.display_name, source=user.source,
                   system_admin=user.system_admin, disabled=user.disabled,
                   groups=[g.name for g in runtime.identity.users.groups_of(user.id)], created_at=user.created_at,
                   last_login_at=user.last_login_at)


@router.get("", response_model=list[UserOut])
def list_users(runtime: Runtime = Depends(get_runtime), _: Caller = Depends(require_system_admin)):
    return [user_out(runtime, u) for u in runtime.identity.users.list_users()]


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserIn, runtime: Runtime = Depends(get_runtime), caller: Caller = Depends(require_system_admin)):
    """A local user; the password must meet the policy (ZHIKU_PASSWORD_MIN_LENGTH and mixed characters)."""
    users = runtime.identity.users
    for name in body.groups:
        users.get_group(name)  # 404 before anything is created
    user = users.create_user(body.username, body.password, body.display_name, body.system_admin)
    for name in body.groups:
        users.add_member(name, user.id)
    runtime.identity.audit.record(caller, "user.create", target=user.username, system_admin=body.system_admin,
                                  groups=body.groups)
    return user_out(runtime, user)


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: str, runtime: Runtime = Depends(get_runtime), _: Caller = Depends(require_system_admin)):
    return user_out(runtime, runtime.identity.users.get_user(user_id))


@router.patch("/{user_id}", response_model=UserOut)
def update_user(user_id: str, body: UserPatch, runtime: Runtime = Depends(get_runtime),
                caller: Caller = Depends(require_system_admin)):
    """Rename, make or unmake a system administrator, disable (ends the user's sessions) or enable."""
    identity = runtime.identity
    changes = body.model_dump(exclude_none=True)
    user = identity.users.get_user(user_id)
    if caller.subject == f"user:{user.id}" and (changes.get("disabled") or changes.get("system_admin") is False):
        raise InvalidInput("You cannot disable yourself or take away your own administrator role.")
    user = identity.users.update_user(user.id, **changes)
    if changes.get("disabled"):
        identity.sessions.end_all_of(user.id)
    identity.audit.record(caller, "user.update", target=user.username, **changes)
    return user_out(runtime, user)


@router.post("/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
def set_password(user_id: str, body: PasswordSetIn, runtime: Runtime = Depends(get_runtime),
                 caller: Caller = Depends(require_system_admin)):
    """Set a local user's password (the user's sessions end; a lockout of the name is lifted)."""
    identity = runtime.identity
    user = identity.users.set_password(user_id, body.password)
    identity.sessions.end_all_of(user.id)
    identity.throttle.unlock(user.username)
    identity.audit.record(caller, "user.password_set", target=user.username)


@router.put("/{user_id}/groups", response_model=UserOut)
def set_groups(user_id: str, body: GroupsSetIn, runtime: Runtime = Depends(get_runtime),
               caller: Caller = Depends(require_system_admin)):
    """Make the user a member of exactly these groups (names or ids; each must exist)."""
    users = runtime.identity.users
    user = users.get_user(user_id)
    names = [users.get_group(g).name for g in body.groups]
    users.set_groups(user.id, names)
    runtime.identity.audit.record(caller, "user.groups_set", target=user.username, groups=names)
    return user_out(runtime, user)
