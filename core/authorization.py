"""What a caller may read and change (issue #11), decided from the metadata store on every request.

Roles: a system admin (and the process itself) reads and changes everything; a knowledge base's admins
upload, delete, re-index, change its settings and permissions, and read all its documents; its readers
search, ask, chat and use the scenarios on it, and read the documents whose readers name them (or
everyone). An API key reads what a user with its principals would, intersected with its scopes per
knowledge base and operation; it administers where its scopes say `upload`/`admin`.

Nothing is cached: a change of readers applies to the next request. A knowledge base or document the
caller may not read is "not found" (404), exactly as one that does not exist, so ids cannot be probed;
an operation the caller may not do on something it can see is refused with 403 and a message saying who may.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from zhiku.core.access import Caller, CallerKind, Operation
from zhiku.core.errors import Forbidden, InvalidInput, NotFound
from zhiku.core.metadata_store import MetadataStore
from zhiku.core.models import Document, KbRole, KnowledgeBase
from zhiku.core.read_scope import EVERYONE, ReadScope

_PRINCIPAL = re.compile(r"(user|group|key):[A-Za-z0-9._@-]{1,150}")
READ_OPERATIONS = (Operation.SEARCH, Operation.ASK)


def clean_principals(values: list[str] | None, what: str, allow_everyone: bool = True,
                     group_id: Callable[[str], str | None] | None = None) -> list[str]:
    """Validated principal names, duplicates dropped: "*", "user:<id>", "group:<id>" (or "key:<id>").
    `group_id` maps a group's name to its id where groups are stored by id, so admins may type "group:credit"."""
    cleaned: list[str] = []
    for value in values or []:
        value = (value or "").strip()
        if value == EVERYONE and allow_everyone:
            cleaned.append(value)
        elif _PRINCIPAL.fullmatch(value):
            if group_id is not None and value.startswith("group:"):
                value = f"group:{group_id(value[6:]) or value[6:]}"
            cleaned.append(value)
        else:
            allowed = '"*", ' if allow_everyone else ""
            raise InvalidInput(f"{what}: {value[:80]!r} is not a principal; use {allowed}\"user:<id>\" or "
                               "\"group:<id>\"")
    return list(dict.fromkeys(cleaned))


def _key_allows(caller: Caller, kb_id: str, operation: Operation) -> bool:
    """For an API key: whether its scopes grant `operation` on the knowledge base (admin grants all)."""
    if caller.kind is not CallerKind.SERVICE:
        return True
    scopes = caller.key_scopes or {}
    granted = scopes.get(kb_id, frozenset()) | scopes.get(EVERYONE, frozenset())
    return operation in granted or Operation.ADMIN in granted


class Authorizer:
    def __init__(self, metadata: MetadataStore):
        self.metadata = metadata

    # -- knowledge bases -----------------------------------------------------------------------------
    def readable_kb_ids(self, caller: Caller, operation: Operation = Operation.SEARCH) -> list[str]:
        """The knowledge bases the caller may use for `operation` (search or ask), oldest first."""
        all_ids = [kb.id for kb in self.metadata.list_kbs()]
        if caller.sees_everything:
            return all_ids
        principals = caller.principals
        allowed = (self.metadata.kb_ids_with_role(principals, KbRole.READER)
                   | self.administered_kb_ids(caller, operation))
        return [kb_id for kb_id in all_ids if kb_id in allowed and _key_allows(caller, kb_id, operation)]

    def administered_kb_ids(self, caller: Caller, operation: Operation = Operation.ADMIN) -> set[str]:
        if caller.sees_everything:
            return {kb.id for kb in self.metadata.list_kbs()}
        admin = self.metadata.kb_ids_with_role(caller.principals, KbRole.ADMIN)
        if caller.kind is CallerKind.SERVICE:
            scopes = caller.key_scopes or {}
            granted = {kb_id for kb_id, ops in scopes.items() if Operation.ADMIN in ops
                       or (operation is Operation.UPLOAD and Operation.UPLOAD in ops)}
            if EVERYONE in granted:
                return {kb.id for kb in self.metadata.list_kbs()}
            return (admin & {k for k in scopes if _key_allows(caller, k, operation)}) | granted
        return admin

    def visible_kb_ids(self, caller: Caller) -> list[str]:
        """Knowledge bases the caller may use at all (search or ask, or administer): what it may list."""
        visible = set(self.administered_kb_ids(caller))
        for operation in READ_OPERATIONS:
            visible.update(self.readable_kb_ids(caller, operation))
        return [kb.id for kb in self.metadata.list_kbs() if kb.id in visible]

    def listing_scope(self, caller: Caller) -> ReadScope | None:
        """What document lists and counts show the caller: every visible knowledge base (None: everything)."""
        if caller.sees_everything:
            return None
        visible = self.visible_kb_ids(caller)
        return ReadScope(kb_ids=visible, principals=caller.principals,
                         full_kb_ids=sorted(self.administered_kb_ids(caller) & set(visible)))

    def readable_kb(self, caller: Caller, ref: str, operation: Operation | None = None) -> KnowledgeBase:
        """The knowledge base by id or name, if the caller may read it (for `operation`; None: for any read);
        otherwise 404 as if it did not exist."""
        kb = self.metadata.find_kb(ref)
        allowed = self.visible_kb_ids(caller) if operation is None else self.readable_kb_ids(caller, operation)
        if kb is None or kb.id not in allowed:
            raise NotFound(f"knowledge base {ref!r} not found")
        return kb

    def require_kb_admin(self, caller: Caller, ref: str, operation: Operation = Operation.ADMIN) -> KnowledgeBase:
        """The knowledge base, if the caller administers it (403 if it only reads it, 404 if not even that)."""
        kb = self.metadata.find_kb(ref)
        if kb is None:
            raise NotFound(f"knowledge base {ref!r} not found")
        if caller.sees_everything:  # not every knowledge base with its members loaded on each upload
            return kb
        if kb.id in self.administered_kb_ids(caller, operation):
            return kb
        if kb.id not in self.visible_kb_ids(caller):
            raise NotFound(f"knowledge base {ref!r} not found")
        what = "upload to" if operation is Operation.UPLOAD else "change"
        raise Forbidden(f"only the admins of knowledge base {kb.name!r} or a system admin may {what} it; ask one of "
                        "them to add you to its admins")

    def require_system_admin(self, caller: Caller, what: str) -> None:
        if not caller.sees_everything:
            raise Forbidden(f"only a system admin may {what}")

    # -- what a request reads ------------------------------------------------------------------------
    def read_scope(self, caller: Caller, refs: list[str] | None = None,
                   operation: Operation = Operation.SEARCH) -> ReadScope:
        """The scope of a read: the named knowledge bases (each must be readable, else 404) or all readable
        ones, and the principals documents are matched against (None for a caller that sees everything)."""
        readable = self.readable_kb_ids(caller, operation)
        if refs:
            kb_ids = list(dict.fromkeys(self.readable_kb(caller, ref, operation).id for ref in refs))
        else:
            kb_ids = readable
        if caller.sees_everything:
            return ReadScope(kb_ids=kb_ids)
        full = sorted(self.administered_kb_ids(caller, Operation.ADMIN) & set(kb_ids))
        return ReadScope(kb_ids=kb_ids, principals=caller.principals, full_kb_ids=full)

    def readable_document(self, caller: Caller, document_id: str) -> Document:
        """The document, if the caller may read it (for any read operation); otherwise 404 as if it did not
        exist."""
        scope = self.listing_scope(caller)
        document = self.metadata.find_readable_document(document_id, scope)
        if document is None:
            raise NotFound(f"document {document_id!r} not found")
        return document

    def administered_document(self, caller: Caller, document_id: str,
                              operation: Operation = Operation.ADMIN) -> Document:
        """The document, if the caller administers its knowledge base (403 if it may only read it)."""
        document = self.readable_document(caller, document_id) if not caller.sees_everything \
            else self.metadata.get_document(document_id)
        self.require_kb_admin(caller, document.kb_id, operation)
        return document

    def readable_document_ids(self, scope: ReadScope) -> list[str] | None:
        """The documents a scope may read, for the graph; None when it may read everything."""
        if scope.unrestricted:
            return None
        return self.metadata.readable_document_ids(scope)
