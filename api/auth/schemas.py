"""Request and response bodies of the identity routes (sign-in, users, groups, API keys, audit)."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SignInIn(BaseModel):
    username: str = Field(..., max_length=200)
    password: str = Field(..., max_length=1024)


class CallerOut(BaseModel):
    subject: str
    kind: str
    name: str
    username: str | None = None
    groups: list[str] = []           # group names
    system_admin: bool = False
    key_scopes: dict[str, list[str]] | None = None
    csrf_token: str | None = None    # for a session: the token to send as X-CSRF-Token


class PasswordChangeIn(BaseModel):
    current_password: str = Field(..., max_length=1024)
    new_password: str = Field(..., max_length=1024)


class UserIn(BaseModel):
    username: str = Field(..., max_length=200)
    password: str = Field(..., max_length=1024)
    display_name: str = Field("", max_length=200)
    system_admin: bool = False
    groups: list[str] = Field(default_factory=list, max_length=100)


class UserPatch(BaseModel):
    display_name: str | None = Field(None, max_length=200)
    system_admin: bool | None = None
    disabled: bool | None = None


class PasswordSetIn(BaseModel):
    password: str = Field(..., max_length=1024)


class GroupsSetIn(BaseModel):
    groups: list[str] = Field(..., max_length=100)


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    source: str
    system_admin: bool
    disabled: bool
    groups: list[str]
    created_at: datetime
    last_login_at: datetime | None


class GroupIn(BaseModel):
    name: str = Field(..., max_length=200)
    description: str = Field("", max_length=2000)


class GroupOut(BaseModel):
    id: str
    name: str
    description: str
    members: list[str]  # user names
    created_at: datetime


class ApiKeyIn(BaseModel):
    name: str = Field(..., max_length=200)
    scopes: dict[str, list[str]] = Field(default_factory=dict, description="Knowledge-base id (or \"*\": every "
                                         "one) → operations: search, ask, upload, admin.")
    expires_in_days: int | None = Field(None, ge=0, le=3650, description="0: never; unset: ZHIKU_API_KEY_DEFAULT_DAYS")
    system_admin: bool = Field(False, description="The key acts as a system administrator (for automation).")


class ApiKeyOut(BaseModel):
    id: str
    name: str
    scopes: dict[str, list[str]]
    system_admin: bool
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    state: str


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(..., description="The key itself: shown only in this reply. Send it as "
                     "'Authorization: Bearer <key>'.")


class AuditRecordOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    actor_name: str
    action: str
    outcome: str
    kb_id: str | None
    target: str | None
    details: dict
    hash: str


class AuditVerifyOut(BaseModel):
    ok: bool
    records: int
    head_hash: str
    problems: list[str]
