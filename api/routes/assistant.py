"""The office assistant: multi-turn chat over chosen knowledge bases, streamed, cited, with follow-ups."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from zhiku.api.converters import answer_out
from zhiku.api.deps import current_caller, get_service
from zhiku.core.access import Caller
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.schemas import ChatMessageOut, ChatRequest, ConversationDetailOut, ConversationOut
from zhiku.api.sse import sse_response

router = APIRouter(tags=["office assistant"], prefix="/assistant")


@router.post("/chat", responses={200: {"content": {"text/event-stream": {}}, "description": (
        "Server-sent events: `meta` {conversation_id, query (the standalone question searched), mode}; `delta` "
        "{text} per checked sentence; `done` {conversation_id, message_id, answer (as /answer), follow_ups}; "
        "`error` {error, message} if it fails midway")}})
def chat(body: ChatRequest, service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """Ask in a conversation (a new one when conversation_id is omitted); the reply streams as SSE."""
    service.check_query(body.message)
    scope = service.answer_scope(body.knowledge_bases, body.document_ids, caller=caller)
    if body.conversation_id is not None:
        service.own_conversation(body.conversation_id, caller=caller)  # 404 before the stream starts
    mode = service.rt.answers.mode(body.mode)

    def events():
        for event in service.rt.chat.chat(body.message, scope, body.conversation_id, mode=mode,
                                          owner=caller.subject, suggest=body.suggest_follow_ups):
            if event.kind == "done":
                data = dict(event.data)
                data["answer"] = answer_out(body.message, event.data["answer"]).model_dump(mode="json")
                yield "done", data
            else:
                yield event.kind, event.data

    return sse_response(events())


@router.get("/conversations", response_model=list[ConversationOut])
def list_conversations(limit: int = Query(50, ge=1, le=500), service: KnowledgeService = Depends(get_service),
                       caller: Caller = Depends(current_caller)):
    """The caller's conversations (everyone's for a system admin where ZHIKU_ADMINS_SEE_USER_CONTENT allows)."""
    return service.rt.conversations.list(owner=service.content_owner(caller), limit=limit)


@router.get("/conversations/{conversation_id}", response_model=ConversationDetailOut)
def get_conversation(conversation_id: str, service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    conversation = ConversationOut.model_validate(service.own_conversation(conversation_id, caller=caller))
    return ConversationDetailOut(**conversation.model_dump(), messages=[
        ChatMessageOut.model_validate(m) for m in service.rt.conversations.messages(conversation_id)])


@router.delete("/conversations/{conversation_id}", status_code=204)
def delete_conversation(conversation_id: str, service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    service.own_conversation(conversation_id, caller=caller)
    service.rt.conversations.delete(conversation_id)
