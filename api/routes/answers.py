"""Answers with citations: /ask (one JSON reply) and /answer (JSON or a server-sent-event stream)."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from zhiku.api.converters import answer_out
from zhiku.api.deps import current_caller, get_service
from zhiku.core.access import Caller
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.schemas import AnswerRequest, AnswerResponse, AskRequest
from zhiku.api.sse import sse_response

router = APIRouter(tags=["answers"])


@router.post("/ask", response_model=AnswerResponse)
def ask(body: AskRequest, service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """A cited answer. Extractive by default offline; grounded generation when an LLM is configured."""
    return answer_out(body.question, service.ask(body.question, body.knowledge_bases, body.top_k, mode=body.mode,
                                                 document_ids=body.document_ids, caller=caller))


@router.post("/answer", response_model=AnswerResponse,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "JSON, or with stream=true events `delta` {text} and `done` "
                                             "(this body); `error` {error, message} if it fails midway"}})
def answer(body: AnswerRequest, service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """Like /ask; with `stream: true` the checked sentences arrive as they are written."""
    service.check_query(body.question)
    scope = service.answer_scope(body.knowledge_bases, body.document_ids, body.top_k, caller=caller)
    if not body.stream:
        return answer_out(body.question, service.rt.answers.answer(body.question, scope, body.mode))
    mode = service.rt.answers.mode(body.mode)  # a bad mode is refused before the stream starts

    def events():
        for event in service.rt.answers.stream(body.question, scope, mode):
            if event.kind == "delta":
                yield "delta", {"text": event.text}
            else:
                yield "done", answer_out(body.question, event.answer).model_dump(mode="json")

    return sse_response(events())
