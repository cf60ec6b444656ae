"""Conversations and their messages, in the metadata database."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from zhiku.core.errors import NotFound
from zhiku.core.errors import InvalidInput
from zhiku.core.models import AnswerFeedback, ChatMessage, Conversation, utcnow

MAX_TITLE_CHARS = 60


@dataclass(slots=True)
class Turn:
    question: str
    answer: str


def bound_history(history: list[Turn], turns: int, max_chars: int) -> list[Turn]:
    """The last `turns` pairs (oldest first) within max_chars in total: the memory a conversation is given."""
    if turns <= 0:
        return []
    kept: list[Turn] = []
    used = 0
    for turn in reversed(history[-turns:]):
        size = len(turn.question) + len(turn.answer)
        if used + size > max_chars and kept:
            break
        kept.append(Turn(turn.question, turn.answer[:max(0, max_chars - used - len(turn.question))]))
        used += size
    return list(reversed(kept))


class ConversationStore:
    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions

    def create(self, knowledge_bases: list[str], owner: str | None = None, title: str = "") -> Conversation:
        with self._sessions() as s:
            conversation = Conversation(knowledge_bases=knowledge_bases, owner=owner, title=title[:MAX_TITLE_CHARS])
            s.add(conversation)
            s.commit()
            return conversation

    def get(self, conversation_id: str) -> Conversation:
        with self._sessions() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound(f"conversation {conversation_id!r} not found; start a new one without an id")
            return conversation

    def list(self, owner: str | None = None, limit: int = 100) -> list[Conversation]:
        with self._sessions() as s:
            query = select(Conversation).order_by(Conversation.updated_at.desc()).limit(limit)
            if owner is not None:
                query = query.where(Conversation.owner == owner)
            return list(s.scalars(query))

    def delete(self, conversation_id: str) -> None:
        with self._sessions() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound(f"conversation {conversation_id!r} not found")
            s.delete(conversation)
            s.commit()

    def messages(self, conversation_id: str) -> list[ChatMessage]:
        self.get(conversation_id)
        with self._sessions() as s:
            return list(s.scalars(select(ChatMessage).where(ChatMessage.conversation_id == conversation_id)
                                  .order_by(ChatMessage.seq)))

    def add_message(self, conversation_id: str, role: str, content: str, *, rewritten_query: str | None = None,
                    citations: list[dict] | None = None, found: bool | None = None,
                    answer_mode: str | None = None, model: str | None = None) -> ChatMessage:
        with self._sessions() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound(f"conversation {conversation_id!r} not found")
            seq = (s.scalar(select(func.max(ChatMessage.seq)).where(ChatMessage.conversation_id == conversation_id))
                   or 0) + 1
            message = ChatMessage(conversation_id=conversation_id, seq=seq, role=role, content=content,
                                  rewritten_query=rewritten_query, citations=citations or [], found=found,
                                  answer_mode=answer_mode, model=model)
            s.add(message)
            if role == "user" and not conversation.title:
                conversation.title = content.strip()[:MAX_TITLE_CHARS]
            conversation.updated_at = utcnow()
            s.commit()
            return message

    def recent_turns(self, conversation_id: str, turns: int, max_chars: int) -> list[Turn]:
        """The last `turns` question/answer pairs, oldest first, within max_chars in total (bounded memory)."""
        if turns <= 0:
            return []
        with self._sessions() as s:
            rows = list(s.scalars(select(ChatMessage).where(ChatMessage.conversation_id == conversation_id)
                                  .order_by(ChatMessage.seq.desc()).limit(turns * 2 + 1)))
        pairs: list[Turn] = []
        pending_answer: str | None = None
        for message in rows:  # newest first
            if message.role == "assistant":
                pending_answer = message.content
            elif message.role == "user" and pending_answer is not None:
                pairs.append(Turn(message.rewritten_query or message.content, pending_answer))
                pending_answer = None
        return bound_history(list(reversed(pairs)), turns, max_chars)

    def message_owner(self, message_id: str) -> str | None:
        """The owner of the conversation an answer belongs to (NotFound for no such answer)."""
        with self._sessions() as s:
            row = s.execute(select(ChatMessage.role, Conversation.owner)
                            .join(Conversation, Conversation.id == ChatMessage.conversation_id)
                            .where(ChatMessage.id == message_id)).first()
            if row is None or row[0] != "assistant":
                raise NotFound(f"answer {message_id!r} not found")
            return row[1]

    def add_feedback(self, message_id: str, rating: str, comment: str = "") -> AnswerFeedback:
        if rating not in ("up", "down"):
            raise InvalidInput("rating must be 'up' or 'down'")
        with self._sessions() as s:
            message = s.get(ChatMessage, message_id)
            if message is None or message.role != "assistant":
                raise NotFound(f"answer {message_id!r} not found")
            feedback = AnswerFeedback(message_id=message_id, rating=rating, comment=comment.strip()[:2000])
            s.add(feedback)
            s.commit()
            return feedback

    def list_feedback(self, limit: int = 500,
                      owner: str | None = None) -> list[tuple[AnswerFeedback, ChatMessage, str | None]]:
        """Newest first: the feedback, the answer it is about, and the question before that answer; with
        `owner`, only on that owner's conversations."""
        question = aliased(ChatMessage)
        with self._sessions() as s:
            query = (select(AnswerFeedback, ChatMessage, question.content)
                     .join(ChatMessage, ChatMessage.id == AnswerFeedback.message_id)
                     .outerjoin(question, (question.conversation_id == ChatMessage.conversation_id)
                                & (question.seq == ChatMessage.seq - 1)))
            if owner is not None:
                query = query.join(Conversation, Conversation.id == ChatMessage.conversation_id).where(
                    Conversation.owner == owner)
            rows = s.execute(query.order_by(AnswerFeedback.created_at.desc()).limit(limit))
            return [(feedback, message, text) for feedback, message, text in rows]
