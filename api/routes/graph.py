"""The knowledge graph: entity search, entity detail with neighbours and sources, paths between entities."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from zhiku.api.deps import current_caller, get_service
from zhiku.core.access import Caller
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.schemas import EntityDetailOut, EntityOut, ErrorBody, GraphOut

router = APIRouter(tags=["graph"], prefix="/graph")
_KB = Query(None, description="Knowledge base ids or names (repeat); default all")


@router.get("/entities", response_model=list[EntityOut])
def search_entities(q: str = Query(..., min_length=1, max_length=200, description="Name or part of a name"),
                    kb: list[str] | None = _KB, limit: int = Query(20, ge=1, le=100),
                    service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """Entities whose name or alias contains `q`: exact matches first, then by how often they are mentioned."""
    return service.graph_search_entities(q, kb, limit, caller=caller)


@router.get("/entities/{key}", response_model=EntityDetailOut, responses={404: {"model": ErrorBody}})
def entity_detail(key: str, kb: list[str] | None = _KB, limit: int = Query(50, ge=1, le=200),
                  service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """An entity with its best-supported relations, its neighbours and the chunks that mention it."""
    return service.graph_entity_detail(key, kb, limit, caller=caller)


@router.get("/path", response_model=GraphOut)
def path_between(source: str = Query(..., alias="from", description="Entity key"),
                 target: str = Query(..., alias="to", description="Entity key"),
                 kb: list[str] | None = _KB, max_hops: int = Query(3, ge=1, le=4),
                 service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """A shortest path between two entities, with the chunks that support each relation on it."""
    return service.graph_path(source, target, kb, max_hops, caller=caller)
