from __future__ import annotations

from fastapi import APIRouter, Depends, status

from zhiku.api.deps import current_caller, get_service
from zhiku.api.knowledge_service import KnowledgeService, normalize_language
from zhiku.api.schemas import ErrorBody, KnowledgeBaseAccess, KnowledgeBaseCreate, KnowledgeBaseOut, KnowledgeBaseUpdate
from zhiku.core.access import Caller, Operation
from zhiku.core.errors import InvalidInput
from zhiku.core.models import KnowledgeBase

router = APIRouter(prefix="/knowledge-bases", tags=["knowledge bases"],
                   responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}})


def kb_out(service: KnowledgeService, kb: KnowledgeBase, caller: Caller,
           counts: dict[str, int] | None = None, administered: set[str] | None = None) -> KnowledgeBaseOut:
    """The knowledge base as the caller may see it: documents it may read counted, members shown to admins."""
    if counts is None:
        counts = service.rt.metadata.document_counts(service.access.listing_scope(caller))
    if administered is None:
        administered = service.access.administered_kb_ids(caller)
    # model_validate reads every attribute of the row, its members too: they are cleared for a mere reader
    members = {"readers": kb.readers, "admins": kb.admins} if kb.id in administered else {"readers": None,
                                                                                            "admins": None}
    return KnowledgeBaseOut.model_validate(kb).model_copy(update={"document_count": counts.get(kb.id, 0), **members})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KnowledgeBaseOut)
def create_knowledge_base(body: KnowledgeBaseCreate, service: KnowledgeService = Depends(get_service),
                          caller: Caller = Depends(current_caller)):
    """System admins only. Readers default to everyone ("*"), admins to the creating user."""
    kb = service.create_kb(body.name, body.description, body.language, readers=body.readers, admins=body.admins,
                           caller=caller)
    if body.chunk_size is not None or body.chunk_overlap is not None or body.guardrails is not None:
        kb = service.rt.metadata.update_kb(kb.id, chunk_size=body.chunk_size, chunk_overlap=body.chunk_overlap,
                                           guardrails=body.guardrails.model_dump() if body.guardrails else None)
    return kb_out(service, kb, caller)


@router.patch("/{kb_id}", response_model=KnowledgeBaseOut)
def update_knowledge_base(body: KnowledgeBaseUpdate, kb_id: str, service: KnowledgeService = Depends(get_service),
                          caller: Caller = Depends(current_caller)):
    """Change settings (its admins); only the fields sent change (send null to go back to the service default)."""
    current = service.access.require_kb_admin(caller, kb_id, Operation.ADMIN)
    changes = body.model_dump(exclude_unset=True)
    if "language" in changes:
        changes["language"] = normalize_language(changes["language"])
    if "description" in changes and changes["description"] is None:
        changes["description"] = ""
    size = changes.get("chunk_size", current.chunk_size) or service.rt.settings.chunk_size
    overlap = changes.get("chunk_overlap", current.chunk_overlap)
    if overlap is not None and overlap >= size:
        raise InvalidInput(f"chunk_overlap ({overlap}) must be smaller than chunk_size ({size})")
    service.rt.metadata.update_kb(current.id, **changes)
    return kb_out(service, service.rt.metadata.get_kb(current.id), caller)


@router.get("/{kb_id}/access", response_model=KnowledgeBaseAccess)
def get_access(kb_id: str, service: KnowledgeService = Depends(get_service),
               caller: Caller = Depends(current_caller)):
    """Who may read and administer the knowledge base (its admins and system admins)."""
    kb = service.access.require_kb_admin(caller, kb_id, Operation.ADMIN)
    return KnowledgeBaseAccess(readers=kb.readers, admins=kb.admins)


@router.put("/{kb_id}/access", response_model=KnowledgeBaseAccess)
def set_access(kb_id: str, body: KnowledgeBaseAccess, service: KnowledgeService = Depends(get_service),
               caller: Caller = Depends(current_caller)):
    """Replace its readers and admins (its admins and system admins). Applies from the next request on,
    without re-indexing: every read checks the knowledge base's readers."""
    kb = service.set_kb_access(kb_id, body.readers, body.admins, caller=caller)
    return KnowledgeBaseAccess(readers=kb.readers, admins=kb.admins)


@router.get("", response_model=list[KnowledgeBaseOut])
def list_knowledge_bases(service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """The knowledge bases the caller may read."""
    visible = service.access.visible_kb_ids(caller)
    administered = service.access.administered_kb_ids(caller)
    counts = service.rt.metadata.document_counts(service.access.listing_scope(caller))
    return [kb_out(service, kb, caller, counts, administered) for kb in service.rt.metadata.list_kbs()
            if kb.id in visible]


@router.get("/{kb_id}", response_model=KnowledgeBaseOut)
def get_knowledge_base(kb_id: str, service: KnowledgeService = Depends(get_service),
                       caller: Caller = Depends(current_caller)):
    return kb_out(service, service.access.readable_kb(caller, kb_id), caller)


@router.delete("/{kb_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_knowledge_base(kb_id: str, service: KnowledgeService = Depends(get_service),
                          caller: Caller = Depends(current_caller)):
    """System admins only: removes its documents, chunks, graph and originals."""
    service.delete_kb(kb_id, caller=caller)
