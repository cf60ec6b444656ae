from __future__ import annotations

from fastapi import APIRouter, Depends

from api.converters import hit_out
from api.deps import get_service
from api.knowledge_service import KnowledgeService
from api.schemas import SearchRequest, SearchResponse

router = APIRouter(tags=["retrieval"])


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, service: KnowledgeService = Depends(get_service)):
    """Retrieval only, for other services: ranked chunks with each stage's score and a citation."""
    retrieval = service.retrieve(body.query, body.knowledge_bases, body.top_k, body.document_ids, body.file_types,
                                 body.mode)
    graph = service.used_graph(retrieval) if body.include_graph else None
    return SearchResponse(query=body.query, hits=[hit_out(h) for h in retrieval.hits], graph=graph)
