"""Sign-in throttling: after ZHIKU_LOGIN_MAX_FAILURES failures in a row a user name is locked for
ZHIKU_LOGIN_LOCKOUT_MINUTES. Counted per name, whether the name exists or not, so neither the lockout nor its
timing tells an attacker which names exist."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from zhiku.core.identity.models import LoginThrottle
from zhiku.core.models import utcnow


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class LoginThrottleStore:
    def __init__(self, sessions: sessionmaker[Session], max_failures: int, lockout: timedelta):
        self._sessions = sessions
        self.max_failures = max_failures
        self.lockout = lockout

    def locked_until(self, username: str) -> datetime | None:
        with self._sessions() as s:
            row = s.get(LoginThrottle, username[:200])
            until = _aware(row.locked_until) if row is not None else None
            return until if until is not None and until > utcnow() else None

    def failed(self, username: str) -> bool:
        """Count a failure; True when it locked the name."""
        try:
            return self._count_failure(username)
        except IntegrityError:  # two first failures of one name at once: the other inserted the row
            return self._count_failure(username)

    def _count_failure(self, username: str) -> bool:
        now = utcnow()
        with self._sessions() as s:
            row = s.get(LoginThrottle, username[:200])
            if row is None:
                row = LoginThrottle(username=username[:200], failures=0)
                s.add(row)
            locked = _aware(row.locked_until)
            if locked is not None and locked <= now:  # a lockout that ran out starts a fresh count
                row.failures, row.locked_until = 0, None
            row.failures += 1
            row.last_failure_at = now
            newly_locked = row.failures >= self.max_failures and row.locked_until is None
            if newly_locked:
                row.locked_until = now + self.lockout
            s.commit()
            return newly_locked

    def succeeded(self, username: str) -> None:
        with self._sessions() as s:
            row = s.get(LoginThrottle, username[:200])
            if row is not None:
                s.delete(row)
                s.commit()

    def unlock(self, username: str) -> None:
        self.succeeded(username)
