"""Who is asking: the caller every route resolves before it does anything (issue #11).

Authentication (api/auth/…: sessions, API keys, LDAP) produces a `Caller`; authorisation (what the caller may
read or change) consumes it. Retrieval never sees a Caller, only its `principals`, which the vector store, the
graph and the metadata store match inside their queries against a document's readers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

EVERYONE = "*"


class Operation(StrEnum):
    """What an API key may be scoped to, per knowledge base."""
    SEARCH = "search"
    ASK = "ask"
    UPLOAD = "upload"
    ADMIN = "admin"


class CallerKind(StrEnum):
    USER = "user"          # a person signed in (local password or directory)
    SERVICE = "service"    # another system with an API key
    SYSTEM = "system"      # the process itself: CLI in process, start-up, workers


@dataclass(frozen=True)
class Caller:
    subject: str                                  # "user:<id>", "key:<id>" or "system"
    kind: CallerKind
    name: str = ""                                # for display and the audit trail
    groups: frozenset[str] = frozenset()          # group ids the caller belongs to
    system_admin: bool = False
    # An API key's scopes: knowledge-base id ("*" = every one) -> operations. None for users and the system.
    key_scopes: dict[str, frozenset[Operation]] | None = field(default=None, hash=False, compare=False)

    @property
    def principals(self) -> list[str]:
        """The names a document's readers list can hold for this caller ("user:<id>", "group:<id>")."""
        return [self.subject, *(f"group:{g}" for g in sorted(self.groups))]

    @property
    def user_id(self) -> str | None:
        """The users-table id of a signed-in person (None for an API key or the system)."""
        return self.subject.removeprefix("user:") if self.kind is CallerKind.USER else None

    @property
    def key_id(self) -> str | None:
        """The api_keys-table id of a service caller (None otherwise)."""
        return self.subject.removeprefix("key:") if self.kind is CallerKind.SERVICE else None

    @property
    def sees_everything(self) -> bool:
        return self.kind is CallerKind.SYSTEM or self.system_admin


SYSTEM_CALLER = Caller(subject="system", kind=CallerKind.SYSTEM, name="system", system_admin=True)
