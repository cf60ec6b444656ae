"""Groups and their members: system administrators only. A group is what a knowledge base's or a document's
readers list names (group:<id>)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, status

from zhiku.api.auth.gates import require_system_admin
from zhiku.api.auth.schemas import GroupIn, GroupOut
from zhiku.api.deps import get_runtime
from zhiku.api.runtime import Runtime
from zhiku.core.access import Caller

router = APIRouter(prefix="/groups", tags=["users and groups"])


def group_out(runtime: Runtime, group) -> GroupOut:
    return GroupOut(id=group.id, name=group.name, description=group.description, created_at=group.created_at,
                    members=[u.username for u in runtime.identity.users.members_of(group.id)])


@router.get("", response_model=list[GroupOut])
def list_groups(runtime: Runtime = Depends(get_runtime), _: Caller = Depends(require_system_admin)):
    return [group_out(runtime, g) for g in runtime.identity.users.list_groups()]


@router.post("", response_model=GroupOut, status_code=status.HTTP_201_CREATED)
def create_group(body: GroupIn, runtime: Runtime = Depends(get_runtime),
                 caller: Caller = Depends(require_system_admin)):
    group = runtime.identity.users.create_group(body.name, body.description)
    runtime.identity.audit.record(caller, "group.create", target=group.name, group_id=group.id)
    return group_out(runtime, group)


@router.get("/{group_id}", response_model=GroupOut)
def get_group(group_id: str, runtime: Runtime = Depends(get_runtime), _: Caller = Depends(require_system_admin)):
    return group_out(runtime, runtime.identity.users.get_group(group_id))


@router.delete("/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_group(group_id: str, runtime: Runtime = Depends(get_runtime),
                 caller: Caller = Depends(require_system_admin)):
    group = runtime.identity.users.delete_group(group_id)
    runtime.identity.audit.record(caller, "group.delete", target=group.name, group_id=group.id)


@router.put("/{group_id}/members/{user_id}", response_model=GroupOut)
def add_member(group_id: str, user_id: str, runtime: Runtime = Depends(get_runtime),
               caller: Caller = Depends(require_system_admin)):
    users = runtime.identity.users
    group, user = users.get_group(group_id), users.get_user(user_id)
    users.add_member(group.id, user.id)
    runtime.identity.audit.record(caller, "group.member_add", target=group.name, user=user.username)
    return group_out(runtime, group)


@router.delete("/{group_id}/members/{user_id}", response_model=GroupOut)
def remove_member(group_id: str, user_id: str, runtime: Runtime = Depends(get_runtime),
                  caller: Caller = Depends(require_system_admin)):
    users = runtime.identity.users
    group, user = users.get_group(group_id), users.get_user(user_id)
    users.remove_member(group.id, user.id)
    runtime.identity.audit.record(caller, "group.member_remove", target=group.name, user=user.username)
    return group_out(runtime, group)
