from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from zhiku.api.converters import hit_out
from zhiku.api.deps import current_caller, get_service
from zhiku.core.access import Caller
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.schemas import ChunksResponse, SearchRequest, SearchResponse

router = APIRouter(tags=["retrieval"])


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """Retrieval only, for other services: ranked chunks with each stage's score and a citation."""
    retrieval = service.retrieve(body.query, body.knowledge_bases, body.top_k, body.document_ids, body.file_types,
                                 body.mode, caller=caller)
    graph = service.used_graph(retrieval) if body.include_graph else None
    return SearchResponse(query=body.query, hits=[hit_out(h) for h in retrieval.hits], graph=graph)


@router.get("/chunks", response_model=ChunksResponse)
def chunks(ids: list[uuid.UUID] = Query(min_length=1, max_length=200, description="Chunk ids (a hit's chunk_id, "
                                        "a graph fact's provenance chunk_ids)"),
           knowledge_bases: list[str] | None = Query(None, description="Ids or names; default: all"),
           service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """Chunks by id, with their text, section and citation: the passages behind graph facts, or a stored hit."""
    asked = [str(i) for i in ids]
    hits = service.chunks(asked, knowledge_bases, caller=caller)
    found = {h.chunk_id for h in hits}
    return ChunksResponse(hits=[hit_out(h) for h in hits], missing=[i for i in dict.fromkeys(asked) if i not in found])
