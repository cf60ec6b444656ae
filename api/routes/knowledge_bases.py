from __future__ import annotations

from fastapi import APIRouter, Depends, status

from zhiku.api.auth.gates import require_system_admin
from zhiku.api.deps import get_runtime, get_service
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.runtime import Runtime
from zhiku.api.knowledge_service import normalize_language
from zhiku.api.schemas import KnowledgeBaseCreate, KnowledgeBaseOut, KnowledgeBaseUpdate

router = APIRouter(prefix="/knowledge-bases", tags=["knowledge bases"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KnowledgeBaseOut,
             dependencies=[Depends(require_system_admin)])
def create_knowledge_base(body: KnowledgeBaseCreate, service: KnowledgeService = Depends(get_service)):
    kb = service.create_kb(body.name, body.description, body.language)
    if body.chunk_size is not None or body.chunk_overlap is not None or body.guardrails is not None:
        kb = service.rt.metadata.update_kb(kb.id, chunk_size=body.chunk_size, chunk_overlap=body.chunk_overlap,
                                           guardrails=body.guardrails.model_dump() if body.guardrails else None)
    return kb


@router.patch("/{kb_id}", response_model=KnowledgeBaseOut)
def update_knowledge_base(body: KnowledgeBaseUpdate, kb_id: str, runtime: Runtime = Depends(get_runtime)):
    """Change settings; only the fields sent change (send null to go back to the service default)."""
    changes = body.model_dump(exclude_unset=True)
    if "language" in changes:
        changes["language"] = normalize_language(changes["language"])
    if "description" in changes and changes["description"] is None:
        changes["description"] = ""
    current = runtime.metadata.get_kb(kb_id)
    size = changes.get("chunk_size", current.chunk_size) or runtime.settings.chunk_size
    overlap = changes.get("chunk_overlap", current.chunk_overlap)
    if overlap is not None and overlap >= size:
        from zhiku.core.errors import InvalidInput

        raise InvalidInput(f"chunk_overlap ({overlap}) must be smaller than chunk_size ({size})")
    kb = runtime.metadata.update_kb(kb_id, **changes)
    count = runtime.metadata.document_counts().get(kb.id, 0)
    return KnowledgeBaseOut.model_validate(kb).model_copy(update={"document_count": count})


@router.get("", response_model=list[KnowledgeBaseOut])
def list_knowledge_bases(runtime: Runtime = Depends(get_runtime)):
    counts = runtime.metadata.document_counts()
    return [KnowledgeBaseOut.model_validate(kb).model_copy(update={"document_count": counts.get(kb.id, 0)})
            for kb in runtime.metadata.list_kbs()]


@router.get("/{kb_id}", response_model=KnowledgeBaseOut)
def get_knowledge_base(kb_id: str, runtime: Runtime = Depends(get_runtime)):
    kb = runtime.metadata.get_kb(kb_id)
    count = runtime.metadata.document_counts().get(kb.id, 0)
    return KnowledgeBaseOut.model_validate(kb).model_copy(update={"document_count": count})


@router.delete("/{kb_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_knowledge_base(kb_id: str, service: KnowledgeService = Depends(get_service)):
    service.delete_kb(kb_id)
