"""Server-side web sessions: the browser holds a random token, the store its SHA-256, the session's CSRF token,
and when it ends (idle or absolute)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from zhiku.core.identity.models import WebSession
from zhiku.core.models import utcnow


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class NewSession:
    token: str          # goes into the cookie, never stored
    csrf_token: str     # sent to the page, which echoes it in X-CSRF-Token
    user_id: str
    expires_at: datetime


class SessionStore:
    def __init__(self, sessions: sessionmaker[Session], idle: timedelta, lifetime: timedelta):
        self._sessions = sessions
        self.idle = idle
        self.lifetime = lifetime

    def create(self, user_id: str) -> NewSession:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = utcnow()
        with self._sessions() as s:
            s.add(WebSession(token_hash=token_hash(token), user_id=user_id, csrf_token=csrf, created_at=now,
                             last_seen_at=now, expires_at=now + self.lifetime))
            s.commit()
        return NewSession(token, csrf, user_id, now + self.lifetime)

    def resolve(self, token: str) -> WebSession | None:
        """The live session of a cookie token (its last-seen time moved on), or None; ended sessions are removed."""
        if not token or len(token) > 200:
            return None
        key = token_hash(token)
        now = utcnow()
        with self._sessions() as s:
            row = s.get(WebSession, key)
            if row is None:
                return None
            if _aware(row.expires_at) <= now or _aware(row.last_seen_at) + self.idle <= now:
                s.delete(row)
                s.commit()
                return None
            # Written at most once a minute: a page's burst of requests costs one write, not one each.
            if now - _aware(row.last_seen_at) > timedelta(seconds=60):
                row.last_seen_at = now
                s.commit()
            return row

    def end(self, token: str) -> None:
        with self._sessions() as s:
            s.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))
            s.commit()

    def end_all_of(self, user_id: str) -> int:
        """Sign a user out everywhere (disabled, password changed)."""
        with self._sessions() as s:
            count = s.execute(delete(WebSession).where(WebSession.user_id == user_id)).rowcount
            s.commit()
            return count or 0

    def purge_ended(self) -> int:
        now = utcnow()
        with self._sessions() as s:
            count = s.execute(delete(WebSession).where(
                (WebSession.expires_at <= now) | (WebSession.last_seen_at <= now - self.idle))).rowcount
            s.commit()
            return count or 0

    def count_for(self, user_id: str) -> int:
        with self._sessions() as s:
            return len(list(s.scalars(select(WebSession.token_hash).where(WebSession.user_id == user_id))))
