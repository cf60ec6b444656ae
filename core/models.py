"""Metadata store tables: knowledge bases, documents, ingestion jobs, conversations."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from enum import Enum

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class DocumentStatus(str, Enum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


JobStatus = DocumentStatus  # a job moves through the same states as the document it ingests


class KnowledgeBase(Base):
    __tablename__ = "knowledge_bases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Chunking for this knowledge base's documents (None: ZHIKU_CHUNK_SIZE / ZHIKU_CHUNK_OVERLAP).
    chunk_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    chunk_overlap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Guardrail policy (guardrails/policy.py, as JSON); None: the defaults.
    guardrails: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    documents: Mapped[list[Document]] = relationship(back_populates="knowledge_base", cascade="all, delete-orphan",
                                                     passive_deletes=True)
    members: Mapped[list[KnowledgeBaseMember]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                              lazy="selectin")

    def principals(self, role: str) -> list[str]:
        return sorted(m.principal for m in self.members if m.role == role)

    @property
    def readers(self) -> list[str]:
        return self.principals(KbRole.READER.value)

    @property
    def admins(self) -> list[str]:
        return self.principals(KbRole.ADMIN.value)


class KbRole(str, Enum):
    READER = "reader"  # may search, ask, chat and use the scenarios on the knowledge base
    ADMIN = "admin"    # may also upload, delete, re-index, change settings and permissions; reads every document


class KnowledgeBaseMember(Base):
    """Who may read or administer a knowledge base: one row per principal ("user:<id>", "group:<id>", "*")
    and role, so "which knowledge bases may this caller read" is one indexed query."""

    __tablename__ = "kb_members"
    __table_args__ = (Index("ix_kb_members_principal", "principal", "role"),)

    kb_id: Mapped[str] = mapped_column(ForeignKey("knowledge_bases.id", ondelete="CASCADE"), primary_key=True)
    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(10), primary_key=True)


class DocumentReader(Base):
    """A document's readers, one row per principal: the metadata store's copy of `access_principals` (the
    chunks carry the same list in their payload), for listing documents inside the query."""

    __tablename__ = "document_readers"
    __table_args__ = (Index("ix_document_readers_principal", "principal"),)

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    principal: Mapped[str] = mapped_column(String(200), primary_key=True)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("kb_id", "name", name="uq_documents_kb_name"),
        Index("ix_documents_kb_hash", "kb_id", "content_hash"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kb_id: Mapped[str] = mapped_column(ForeignKey("knowledge_bases.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    mime_type: Mapped[str] = mapped_column(String(200))
    file_type: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default=DocumentStatus.PENDING.value)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The content version whose chunks are live in the index (None until the first ingestion succeeds).
    indexed_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Who may read the document among the knowledge base's readers ("*": all of them); stamped on every chunk.
    access_principals: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["*"])
    uploaded_by: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the uploader's display name
    # Language forced for this upload's speech recognition (ISO 639-1); None: the knowledge base's, else detected.
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    knowledge_base: Mapped[KnowledgeBase] = relationship(back_populates="documents")
    jobs: Mapped[list[IngestionJob]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                                    passive_deletes=True)


class JobLane(str, Enum):
    """Jobs wait and run in lanes by size, so a small upload never queues behind a large one."""

    SMALL = "small"
    LARGE = "large"


class IngestionJob(Base):
    __tablename__ = "ingestion_jobs"
    __table_args__ = (Index("ix_jobs_status", "status"), Index("ix_jobs_lane_queue", "lane", "status", "created_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.PENDING.value)
    stage: Mapped[str] = mapped_column(String(40), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    detail: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lane: Mapped[str] = mapped_column(String(10), default=JobLane.SMALL.value)
    # The process running the job ("host:pid/lane") and until when its claim holds: it renews the lease while
    # it works, so a job whose worker died (kill -9, out of memory) can be claimed again once the lease ends.
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    document: Mapped[Document] = relationship(back_populates="jobs")


class Conversation(Base):
    """A chat: its messages are kept; only the last few turns are sent to the model (ZHIKU_CHAT_HISTORY_TURNS)."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200), default="")
    knowledge_bases: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    messages: Mapped[list[ChatMessage]] = relationship(back_populates="conversation", cascade="all, delete-orphan",
                                                       passive_deletes=True, order_by="ChatMessage.seq")


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq", name="uq_chat_messages_conversation_seq"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # order within the conversation
    role: Mapped[str] = mapped_column(String(20))  # user | assistant
    content: Mapped[str] = mapped_column(Text)
    # For a user turn: the standalone question retrieval used; for an assistant turn: its citations, whether
    # the knowledge base had the answer, and what wrote it (feedback is only useful knowing which mode/model).
    rewritten_query: Mapped[str | None] = mapped_column(Text, nullable=True)
    citations: Mapped[list[dict]] = mapped_column(JSON, default=list)
    found: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    answer_mode: Mapped[str | None] = mapped_column(String(20), nullable=True)  # extractive | llm
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the LLM endpoint's model that answered
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class AnswerFeedback(Base):
    """A user's thumbs up or down on one answer, with an optional comment: material for evaluation."""

    __tablename__ = "answer_feedback"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(ForeignKey("chat_messages.id", ondelete="CASCADE"), index=True)
    rating: Mapped[str] = mapped_column(String(8))  # up | down
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DiscardedFile(Base):
    """An original no document refers to any more (deleted, replaced), kept until ZHIKU_FILE_RETENTION_DAYS pass."""

    __tablename__ = "discarded_files"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    discarded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
