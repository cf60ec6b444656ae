"""The append-only audit trail: who did what, when, to which knowledge base, with what outcome.

Each record's hash covers its own fields and the previous record's hash, and records are numbered without gaps,
so `zhiku audit verify` finds a record that was edited (its hash no longer matches), deleted (a gap in the
numbers, or a broken link) or inserted. Removing the newest records leaves a valid but shorter chain: keep the
head hash that `verify` prints somewhere else (a ticket, a log shipper) to detect that too.

Free text in the records (questions, names, targets) is masked by the masker the service passes in (the
guardrails' personal-data masker), so the trail holds no ID, card or phone numbers in clear.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from zhiku.core.identity.models import AuditRecord
from zhiku.core.models import utcnow

GENESIS = "0" * 64
EXPORT_FIELDS = ("seq", "at", "actor", "actor_name", "action", "outcome", "kb_id", "target", "details", "prev_hash",
                 "hash")
# Keys whose values are identifiers, not free text: never masked (a hex id can look like a phone number).
_ID_KEYS = ("id", "ids", "chunk_ids", "answer_id", "document_id", "job_id", "key_id", "user_id", "group_id",
            "conversation_id", "message_id", "kb_ids", "status", "method", "path")

Masker = Callable[[str, str | None], str]  # (text, knowledge-base id) -> masked text


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def record_hash(prev_hash: str, seq: int, at: datetime, actor: str, actor_name: str, action: str, outcome: str,
                kb_id: str | None, target: str | None, details: dict) -> str:
    body = json.dumps([prev_hash, seq, _utc(at).isoformat(timespec="microseconds"), actor, actor_name, action,
                       outcome, kb_id, target, details], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def _rehash(row: AuditRecord) -> str:
    return record_hash(row.prev_hash, row.seq, row.at, row.actor, row.actor_name, row.action, row.outcome, row.kb_id,
                       row.target, row.details or {})


@dataclass
class VerifyResult:
    records: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None        # a subject (user:<id>, key:<id>) or a name
    action: str | None = None       # exact, or a prefix ending in "." (e.g. "auth.")
    kb_id: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


class AuditTrail:
    def __init__(self, sessions: sessionmaker[Session], masker: Masker | None = None):
        self._sessions = sessions
        self._masker = masker
        self._lock = threading.Lock()

    def record(self, caller: Any, action: str, *, kb_id: str | None = None, target: str | None = None,
               outcome: str = "ok", **details: Any) -> AuditRecord:
        """Append one record. `caller` is a core.access.Caller (None: anonymous); `details` must be JSON values."""
        actor = (getattr(caller, "subject", None) or "anonymous").replace("\x00", "")
        actor_name = self._mask(getattr(caller, "name", "") or "", kb_id)[:200]
        masked_target = self._mask(target, kb_id)[:500] if target else None
        clean = json.loads(json.dumps(self._mask_details(details, kb_id), default=str, ensure_ascii=False))
        for attempt in range(5):
            try:
                return self._append(actor, actor_name, action[:60], outcome[:20], kb_id, masked_target, clean)
            except IntegrityError:  # another process appended the same number first: take the next one
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _append(self, actor, actor_name, action, outcome, kb_id, target, details) -> AuditRecord:
        with self._lock, self._sessions() as s:
            if s.get_bind().dialect.name == "postgresql":
                from sqlalchemy import text

                s.execute(text("SELECT pg_advisory_xact_lock(7316204119)"))
            last = s.execute(select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc())
                             .limit(1)).first()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            at = utcnow()
            row = AuditRecord(seq=seq, at=at, actor=actor, actor_name=actor_name, action=action, outcome=outcome,
                              kb_id=kb_id, target=target, details=details, prev_hash=prev,
                              hash=record_hash(prev, seq, at, actor, actor_name, action, outcome, kb_id, target,
                                               details))
            s.add(row)
            s.commit()
            return row

    def _mask(self, text: str | None, kb_id: str | None) -> str:
        text = (text or "").replace("\x00", "")  # PostgreSQL text holds no NUL
        if not text or self._masker is None:
            return text
        return self._masker(text, kb_id)

    def _mask_details(self, value: Any, kb_id: str | None, key: str = "") -> Any:
        if isinstance(value, dict):
            return {str(k): self._mask_details(v, kb_id, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self._mask_details(v, kb_id, key) for v in value]
        if isinstance(value, str) and key not in _ID_KEYS and not key.endswith("_id"):
            return self._mask(value, kb_id)
        if isinstance(value, str):
            return value.replace("\x00", "")
        return value

    # -- reading --------------------------------------------------------------------------------
    def query(self, q: AuditQuery) -> list[AuditRecord]:
        with self._sessions() as s:
            stmt = select(AuditRecord)
            if q.actor:
                stmt = stmt.where((AuditRecord.actor == q.actor) | (AuditRecord.actor_name == q.actor))
            if q.action:
                stmt = stmt.where(AuditRecord.action.startswith(q.action) if q.action.endswith(".")
                                  else AuditRecord.action == q.action)
            if q.kb_id:
                stmt = stmt.where(AuditRecord.kb_id == q.kb_id)
            if q.outcome:
                stmt = stmt.where(AuditRecord.outcome == q.outcome)
            if q.since:
                stmt = stmt.where(AuditRecord.at >= q.since)
            if q.until:
                stmt = stmt.where(AuditRecord.at < q.until)
            stmt = stmt.order_by(AuditRecord.seq.desc()).offset(max(0, q.offset)).limit(max(1, min(q.limit, 100_000)))
            return list(s.scalars(stmt))

    def count(self) -> int:
        with self._sessions() as s:
            return s.scalar(select(func.count()).select_from(AuditRecord)) or 0

    def iter_all(self, batch: int = 1000) -> Iterator[AuditRecord]:
        after = 0
        while True:
            with self._sessions() as s:
                rows = list(s.scalars(select(AuditRecord).where(AuditRecord.seq > after)
                                      .order_by(AuditRecord.seq).limit(batch)))
            if not rows:
                return
            yield from rows
            after = rows[-1].seq

    def verify(self) -> VerifyResult:
        result = VerifyResult()
        expected_seq, prev = 1, GENESIS
        for row in self.iter_all():
            result.records += 1
            if row.seq != expected_seq:
                result.problems.append(f"records {expected_seq}..{row.seq - 1} are missing (deleted)")
            if row.prev_hash != prev:
                result.problems.append(f"record {row.seq} does not follow the record before it (one was deleted, "
                                       "inserted or edited)")
            if _rehash(row) != row.hash:
                result.problems.append(f"record {row.seq} was edited after it was written")
            expected_seq, prev = row.seq + 1, row.hash
        result.head_hash = prev
        return result


def as_dict(row: AuditRecord) -> dict:
    return {"seq": row.seq, "at": _utc(row.at).isoformat(), "actor": row.actor, "actor_name": row.actor_name,
            "action": row.action, "outcome": row.outcome, "kb_id": row.kb_id, "target": row.target,
            "details": row.details or {}, "prev_hash": row.prev_hash, "hash": row.hash}


def export_jsonl(rows: Iterator[AuditRecord]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(as_dict(row), ensure_ascii=False) + "\n"


def export_csv(rows: Iterator[AuditRecord]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_FIELDS)
    for row in rows:
        data = as_dict(row)
        data["details"] = json.dumps(data["details"], ensure_ascii=False, sort_keys=True)
        # A cell starting with = + - @ is a formula to a spreadsheet: prefix it so it stays text.
        writer.writerow(["'" + str(v) if isinstance(v, str) and v[:1] in "=+-@" else v
                         for v in (data[f] for f in EXPORT_FIELDS)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()
