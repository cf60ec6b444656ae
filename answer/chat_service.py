"""Multi-turn chat: a conversation id, history-aware rewriting, a streamed grounded answer, follow-ups.

Both turns are stored: the question (with the standalone query retrieval used) before answering, the
answer (with its citations) once it is complete, so a crash mid-answer loses at most the unfinished reply.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from zhiku.answer.answer_service import AnswerScope, AnswerService
from zhiku.answer.follow_ups import FollowUpSuggester
from zhiku.answer.grounded_answerer import Answer
from zhiku.answer.query_rewriter import QueryRewriter
from zhiku.core.conversation_store import ConversationStore
from zhiku.retrieval.search_hit import SearchHit


@dataclass(slots=True)
class ChatEvent:
    kind: str  # meta | delta | done
    data: dict = field(default_factory=dict)


class ChatService:
    def __init__(self, answers: AnswerService, conversations: ConversationStore, rewriter: QueryRewriter,
                 follow_ups: FollowUpSuggester, *, history_turns: int = 6, history_chars: int = 3000):
        self.answers = answers
        self.conversations = conversations
        self.rewriter = rewriter
        self.follow_ups = follow_ups
        self.history_turns = history_turns
        self.history_chars = history_chars

    def chat(self, question: str, scope: AnswerScope, conversation_id: str | None = None, *,
             mode: str | None = None, owner: str | None = None, suggest: bool = True) -> Iterator[ChatEvent]:
        if conversation_id is None:
            conversation_id = self.conversations.create(scope.knowledge_bases or [], owner).id
        else:
            self.conversations.get(conversation_id)  # NotFound before anything is stored
        history = self.conversations.recent_turns(conversation_id, self.history_turns, self.history_chars)
        query = self.rewriter.rewrite(question, history)
        self.conversations.add_message(conversation_id, "user", question, rewritten_query=query)
        mode = self.answers.mode(mode)
        yield ChatEvent("meta", {"conversation_id": conversation_id, "query": query, "mode": mode})
        hits = self.answers.retrieve(query, scope)
        final: Answer | None = None
        for event in self.answers.stream_from_hits(query, hits, mode):
            if event.kind == "delta":
                yield ChatEvent("delta", {"text": event.text})
            else:
                final = event.answer
        assert final is not None
        follow_ups = self.follow_ups.suggest(query, hits) if suggest and final.found else []
        message = self.conversations.add_message(conversation_id, "assistant", final.text,
                                                 citations=[citation_record(h) for h in final.citations],
                                                 found=final.found, answer_mode=final.mode, model=final.model)
        yield ChatEvent("done", {"conversation_id": conversation_id, "message_id": message.id, "answer": final,
                                 "follow_ups": follow_ups})


def citation_record(hit: SearchHit) -> dict:
    """What a stored message keeps of a citation: enough to show and open it later."""
    return {"chunk_id": hit.chunk_id, "text": hit.text[:500], "label": hit.citation.label(),
            **asdict(hit.citation)}
