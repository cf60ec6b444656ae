"""What one request may read: the knowledge bases, and within them the documents, as plain values.

An `Authorizer` (core/authorization.py) computes it per request from the caller and the metadata store; the
stores apply it inside their queries (the vector store as a payload filter, the graph as a document-id
condition, SQL as a WHERE clause). Retrieval and the scenarios see this, never a Caller.
"""
from __future__ import annotations

from dataclasses import dataclass, field

EVERYONE = "*"


@dataclass(frozen=True, slots=True)
class ReadScope:
    kb_ids: list[str]                      # the knowledge bases the request may read (already intersected)
    # Names a document's readers list must contain one of ("*" always counts); None: every document.
    principals: list[str] | None = None
    # Among kb_ids, those whose every document the caller reads (its knowledge-base admins).
    full_kb_ids: list[str] = field(default_factory=list)

    @property
    def unrestricted(self) -> bool:
        return self.principals is None

    def reader_names(self) -> list[str]:
        return [EVERYONE, *(self.principals or [])]
