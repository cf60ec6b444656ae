"""Service API keys: `zk_<key id>_<secret>`, shown once; the store keeps the SHA-256 of the secret (a random
256-bit secret needs no slow hash), the scopes (knowledge base or "*" → operations), expiry, last use and
revocation."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from zhiku.core.access import EVERYONE, Operation
from zhiku.core.errors import InvalidInput, NotFound
from zhiku.core.identity.models import ApiKey
from zhiku.core.models import utcnow
from zhiku.core.identity.plain_text import has_control_characters

_KEY = re.compile(r"^zk_([0-9a-f]{32})_([A-Za-z0-9_-]{20,100})$")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_scopes(scopes: dict[str, list[str]] | list[str] | None) -> dict[str, list[str]]:
    """{"kb id or *": ["search", "ask", ...]} or ["kb:op", "*:search"] → the stored form (sorted, validated)."""
    if scopes is None:
        return {}
    if isinstance(scopes, list):
        pairs: dict[str, list[str]] = {}
        for item in scopes:
            kb, sep, op = str(item).rpartition(":")
            if not sep or not kb:
                raise InvalidInput(f"scope {item!r}: write it as <knowledge base id or *>:<operation>")
            pairs.setdefault(kb, []).append(op)
        scopes = pairs
    valid = {op.value for op in Operation}
    result: dict[str, list[str]] = {}
    for kb, ops in scopes.items():
        kb = str(kb).strip()
        if not kb or len(kb) > 200 or has_control_characters(kb):
            raise InvalidInput("a scope names a knowledge base id, or * for every one")
        unknown = set(ops) - valid
        if unknown:
            raise InvalidInput(f"unknown operations {sorted(unknown)}; use {sorted(valid)}")
        result[kb] = sorted(set(ops))
    return result


def scopes_for_caller(stored: dict[str, list[str]]) -> dict[str, frozenset[Operation]]:
    return {kb: frozenset(Operation(op) for op in ops) for kb, ops in (stored or {}).items()}


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    secret: str  # the full `zk_…` string: shown once


class ApiKeyStore:
    def __init__(self, sessions: sessionmaker[Session], default_days: int = 90):
        self._sessions = sessions
        self.default_days = default_days

    def create(self, name: str, scopes: dict[str, list[str]] | list[str] | None, created_by: str,
               expires_in_days: int | None = None, system_admin: bool = False) -> NewApiKey:
        name = (name or "").strip()
        if not name or len(name) > 200 or has_control_characters(name):
            raise InvalidInput("an API key needs a name of 1-200 characters without control characters")
        stored = parse_scopes(scopes)
        if not stored and not system_admin:
            raise InvalidInput(f"an API key needs at least one scope, e.g. {{\"{EVERYONE}\": [\"search\"]}}")
        days = self.default_days if expires_in_days is None else expires_in_days
        if days < 0 or days > 3650:
            raise InvalidInput("expires_in_days is 0 (never) to 3650")
        secret = secrets.token_urlsafe(32)
        with self._sessions() as s:
            key = ApiKey(name=name, secret_hash=_digest(secret), scopes=stored, system_admin=system_admin,
                         created_by=created_by, expires_at=utcnow() + timedelta(days=days) if days else None)
            s.add(key)
            s.commit()
            return NewApiKey(key, f"zk_{key.id}_{secret}")

    def resolve(self, presented: str) -> ApiKey | None:
        """The live key a presented string names, or None (malformed, unknown, wrong secret, revoked, expired)."""
        match = _KEY.match(presented or "")
        if match is None:
            return None
        key_id, secret = match.groups()
        now = utcnow()
        with self._sessions() as s:
            key = s.get(ApiKey, key_id)
            stored = key.secret_hash if key is not None else _digest("no such key")
            if not hmac.compare_digest(stored, _digest(secret)) or key is None:
                return None
            if key.revoked_at is not None or (key.expires_at is not None and _aware(key.expires_at) <= now):
                return None
            last = _aware(key.last_used_at)
            if last is None or now - last > timedelta(seconds=60):  # one write a minute, not one per request
                s.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
                s.commit()
                key.last_used_at = now
            return key

    def list(self) -> list[ApiKey]:
        with self._sessions() as s:
            return list(s.scalars(select(ApiKey).order_by(ApiKey.created_at)))

    def get(self, key_id: str) -> ApiKey:
        with self._sessions() as s:
            key = s.get(ApiKey, key_id)
            if key is None:
                raise NotFound(f"API key {key_id!r} not found")
            return key

    def revoke(self, key_id: str) -> ApiKey:
        with self._sessions() as s:
            key = s.get(ApiKey, key_id)
            if key is None:
                raise NotFound(f"API key {key_id!r} not found")
            if key.revoked_at is None:
                key.revoked_at = utcnow()
                s.commit()
            return key


def key_state(key: ApiKey) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and _aware(key.expires_at) <= utcnow():
        return "expired"
    return "active"
