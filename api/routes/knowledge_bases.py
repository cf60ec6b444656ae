from __future__ import annotations

from fastapi import APIRouter, Depends, status

from api.deps import get_runtime, get_service
from api.knowledge_service import KnowledgeService
from api.runtime import Runtime
from api.schemas import KnowledgeBaseCreate, KnowledgeBaseOut

router = APIRouter(prefix="/knowledge-bases", tags=["knowledge bases"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KnowledgeBaseOut)
def create_knowledge_base(body: KnowledgeBaseCreate, service: KnowledgeService = Depends(get_service)):
    return service.create_kb(body.name, body.description, body.language)


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
