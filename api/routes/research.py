"""Research: structured extraction from research reports and bond documents, and Q&A over chosen reports.

Drafts from the research template go through POST /reports/draft {"template": "research_report_zh", ...}.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends

from zhiku.api.converters import answer_out
from zhiku.api.deps import current_caller, get_service
from zhiku.core.access import Caller
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.research_schemas import ResearchAskRequest, ResearchExtractRequest, ResearchExtractResponse
from zhiku.api.schemas import AnswerResponse
from zhiku.api.sse import sse_response
from zhiku.scenarios.research import ResearchService

router = APIRouter(tags=["research"], prefix="/research")


def get_research(service: KnowledgeService = Depends(get_service)) -> ResearchService:
    return service.rt.research


@router.post("/extract", response_model=ResearchExtractResponse)
def extract(body: ResearchExtractRequest, service: KnowledgeService = Depends(get_service),
            research: ResearchService = Depends(get_research), caller: Caller = Depends(current_caller)):
    """Issuer, bond terms, ratings, key financial metrics, conclusions and risks of the chosen reports as JSON.

    Every field carries the one passage it was copied from; fields not found are listed in `missing`."""
    access = service.scenario_scope(body.knowledge_bases, caller=caller)
    return research.extract(access.kb_ids, body.document_ids, body.subject, body.mode, access)


@router.post("/ask", response_model=AnswerResponse,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "JSON, or with stream=true events `delta` {text} and `done` "
                                             "(this body); `error` {error, message} if it fails midway"}})
def ask(body: ResearchAskRequest, service: KnowledgeService = Depends(get_service),
        research: ResearchService = Depends(get_research), caller: Caller = Depends(current_caller)):
    """A cited answer from the chosen reports only (as /answer, with the scope fixed to `document_ids`)."""
    access = service.scenario_scope(body.knowledge_bases, caller=caller)
    kb_ids = access.kb_ids
    if not body.stream:
        return answer_out(body.question, research.ask(body.question, kb_ids, body.document_ids, body.mode, body.top_k,
                                                      access))
    events = research.stream(body.question, kb_ids, body.document_ids, body.mode, body.top_k, access)  # refused early

    def sse():
        for event in events:
            if event.kind == "delta":
                yield "delta", {"text": event.text}
            else:
                yield "done", answer_out(body.question, event.answer).model_dump(mode="json")

    return sse_response(sse())
