"""Request and response bodies of the HTTP API."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from zhiku.retrieval.hybrid_retriever import RetrievalMode



def as_utc(value: datetime) -> datetime:
    # SQLite returns times without a zone (they are stored in UTC); every reply says so explicitly.
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]

class ErrorBody(BaseModel):
    error: str = Field(description="Machine-readable code, e.g. unsupported_file_type")
    message: str = Field(description="What went wrong and what to do about it")


PiiKindName = Literal["resident_id", "bank_card", "mobile", "landline", "email", "credit_code"]


class GuardrailPolicyIn(BaseModel):
    """A knowledge base's guardrails (guardrails/policy.py); fields left out keep their defaults."""

    mask_kinds: list[PiiKindName] = Field(
        ["resident_id", "bank_card", "mobile", "landline", "email"], description="Personal data masked in search "
        "results, answers, reports and exports from this knowledge base (credit_code: organisations' unified "
        "social credit codes, public, not masked by default)")
    use_flagged_evidence: bool = Field(False, description="Use passages flagged as prompt injection as evidence")
    refused_topics: list[str] = Field([], max_length=200, description="Questions naming one of these get "
                                      "refused_reply instead of an answer")
    refused_reply: str | None = Field(None, max_length=2000, description="The fixed reply (default: a standard "
                                      "bilingual one)")
    refuse_injected_questions: bool = Field(True, description="Questions carrying instructions aimed at the "
                                            "assistant get a fixed reply")


class KnowledgeBaseSettings(BaseModel):
    description: str = ""
    language: str | None = Field(None, description="Main language of the documents, e.g. zh or en")
    chunk_size: int | None = Field(None, ge=64, le=4096, description="Child chunk size in characters for this "
                                   "knowledge base (default ZHIKU_CHUNK_SIZE); applies to documents ingested or "
                                   "re-indexed afterwards")
    chunk_overlap: int | None = Field(None, ge=0, le=1024, description="Characters shared by consecutive chunks "
                                      "(default ZHIKU_CHUNK_OVERLAP)")
    guardrails: GuardrailPolicyIn | None = Field(None, description="Personal-data masking, flagged evidence and "
                                                 "refused topics for this knowledge base (null: the defaults)")

    @model_validator(mode="after")
    def _overlap_below_size(self):
        if self.chunk_size is not None and self.chunk_overlap is not None and self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self


_PRINCIPALS_HELP = ('"*" (everyone), "user:<id>" or "group:<id>"')


class KnowledgeBaseCreate(KnowledgeBaseSettings):
    name: str = Field(min_length=1, max_length=200)
    readers: list[str] | None = Field(None, max_length=500, description="Who may search and ask it: "
                                      + _PRINCIPALS_HELP + '; default ["*"]')
    admins: list[str] | None = Field(None, max_length=500, description="Who may upload, delete, re-index and change "
                                     "its settings and permissions (users or groups); default: the creating user")


class KnowledgeBaseAccess(BaseModel):
    readers: list[str] = Field(max_length=500, description="Who may search and ask it: " + _PRINCIPALS_HELP)
    admins: list[str] = Field(max_length=500, description='Who administers it: "user:<id>" or "group:<id>"')


class DocumentReaders(BaseModel):
    readers: list[str] = Field(min_length=1, max_length=500, description="Who among the knowledge base's readers "
                               'may read the document: "*" (all of them), "user:<id>" or "group:<id>"')


class KnowledgeBaseUpdate(KnowledgeBaseSettings):
    description: str | None = None


class KnowledgeBaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    description: str
    language: str | None
    chunk_size: int | None = None
    chunk_overlap: int | None = None
    guardrails: dict | None = Field(None, description="The knowledge base's guardrail policy (null: the defaults)")
    created_at: UtcDatetime
    document_count: int = Field(0, description="Documents the caller may read")
    readers: list[str] | None = Field(None, description="Shown to its admins only")
    admins: list[str] | None = Field(None, description="Shown to its admins only")


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    document_id: str
    status: str = Field(description="pending | processing | done | failed")
    stage: str = Field(description="queued | parsing | ocr | transcribing | embedding | indexing | done | failed")
    progress: float = Field(description="0..1")
    detail: str
    error: str | None
    attempts: int
    lane: str = Field(description="small | large: the queue the job waits in (uploads over ZHIKU_LARGE_JOB_MB, "
                      "recordings: large); each lane has workers of its own")
    queue_position: int | None = Field(None, description="While pending: jobs of its lane queued before it")
    worker: str | None = Field(None, description="The process running (or that last ran) the job: host:pid/lane")
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    kb_id: str
    name: str
    content_hash: str
    mime_type: str
    file_type: str
    size_bytes: int
    status: str
    error: str | None
    chunk_count: int
    page_count: int | None
    language: str | None = Field(None, description="Spoken language forced for this upload, if any")
    access_principals: list[str] = Field(["*"], description='Who among the knowledge base\'s readers may read it '
                                         '("*": all of them)')
    uploaded_by: str | None = Field(None, description="Who uploaded it")
    created_at: UtcDatetime
    updated_at: UtcDatetime
    latest_job: JobOut | None = None


class UploadItem(BaseModel):
    filename: str
    outcome: str = Field(description="queued | replaced | unchanged | duplicate | rejected")
    document: DocumentOut | None = None
    job_id: str | None = None
    error: ErrorBody | None = None


class UploadResponse(BaseModel):
    items: list[UploadItem]


class DocumentTextOut(BaseModel):
    """A document's text around a cited span, each part masked by the knowledge base's guardrail policy."""
    before: str = Field(description="The text before the cited span")
    cited: str = Field(description="The cited span, text[start:end] in the offsets of citations (char_start, char_end)")
    after: str = Field(description="The text after the cited span")


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    knowledge_bases: list[str] | None = Field(None, description="Ids or names; default: all")
    top_k: int | None = Field(None, ge=1, le=100)
    document_ids: list[str] | None = None
    file_types: list[str] | None = Field(None, description="e.g. [\"pdf\", \"docx\"]")
    mode: RetrievalMode | None = Field(None, description="Default: ZHIKU_SEARCH_MODE (hybrid+rerank+graph)")
    include_graph: bool = Field(False, description="Also return the subgraph graph expansion used (mode "
                                "hybrid+rerank+graph): linked query entities, entities, relations, paths")


class CitationOut(BaseModel):
    kb_id: str
    document_id: str
    document_name: str
    page: int | None
    page_end: int | None
    heading_path: list[str]
    char_start: int
    char_end: int
    bbox: list[float] | None = Field(description="x0, y0, x1, y1 from the top-left: PDF points on PDF pages, "
                                     "pixels on images and video frames")
    start_s: float | None = Field(None, description="Start of the cited passage in an audio or video "
                                  "recording, in seconds")
    end_s: float | None = Field(None, description="End of the cited passage in a recording, in seconds")
    label: str


class StageScoresOut(BaseModel):
    sparse: float | None
    dense: float | None
    fused: float | None
    rerank: float | None
    graph: float | None = Field(None, description="Path score, for chunks the knowledge graph led to")


class SearchHitOut(BaseModel):
    chunk_id: str
    text: str
    context: str | None = Field(description="The parent chunk: the section around the matched text")
    score: float
    scores: StageScoresOut
    citation: CitationOut
    flags: list[str] = Field([], description="Why the guardrails flagged this passage at ingestion (shown where "
                             "administrators list flagged passages; flagged passages are not used as evidence)")


class LinkedEntityOut(BaseModel):
    key: str
    name: str
    type: str
    how: str = Field(description="exact | alias | fuzzy")
    score: float
    mention: str = Field("", description="The words of the query that named it")


class SearchResponse(BaseModel):
    query: str
    hits: list[SearchHitOut]
    graph: "UsedGraphOut | None" = None


class ChunksResponse(BaseModel):
    hits: list[SearchHitOut] = Field(description="The chunks found, in the order asked; scores are 0")
    missing: list[str] = Field(description="Ids asked for that are not in these knowledge bases (e.g. deleted "
                               "with their document)")


AnswerMode = Literal["auto", "extractive", "llm"]


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    knowledge_bases: list[str] | None = Field(None, description="Ids or names; default: all")
    document_ids: list[str] | None = Field(None, description="Answer only from these documents")
    top_k: int | None = Field(None, ge=1, le=50, description="Passages retrieved as evidence")
    mode: AnswerMode | None = Field(None, description="extractive (no LLM), llm (grounded generation), auto "
                                    "(llm when one is configured). Default: ZHIKU_ANSWER_MODE")


class AnswerRequest(AskRequest):
    stream: bool = Field(False, description="Reply with server-sent events: `delta` (checked sentences as they "
                         "are written), then `done` (the whole answer, as the non-streamed reply)")


class AnswerSentenceBody(BaseModel):
    text: str
    citations: list[int] = Field(description="Numbers n of the citations [n] that support the sentence")
    supported: bool = Field(True, description="False only with ZHIKU_GROUNDING_ACTION=flag: the citations do "
                            "not support this sentence")


class AnswerResponse(BaseModel):
    question: str
    answer: str = Field(description="The answer with its citation markers [n]")
    found: bool = Field(description="False when the knowledge base holds no supporting evidence")
    mode: str = Field(description="extractive | llm")
    model: str | None = None
    sentences: list[AnswerSentenceBody] = []
    citations: list[SearchHitOut] = Field(description="Citation [n] is citations[n-1]")
    removed_sentences: int = Field(0, description="Generated sentences the grounding check removed")
    time_to_first_token: float | None = Field(None, description="Seconds until the first checked sentence")
    total_seconds: float | None = None




class ChatRequest(BaseModel):
    message: str = Field(min_length=1, max_length=2000)
    conversation_id: str | None = Field(None, description="Continue this conversation; omit to start one")
    knowledge_bases: list[str] | None = Field(None, description="Ids or names; default: all")
    document_ids: list[str] | None = None
    mode: AnswerMode | None = None
    suggest_follow_ups: bool = True


class ChatMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    seq: int
    role: str
    content: str
    rewritten_query: str | None
    citations: list[dict]
    found: bool | None
    answer_mode: str | None = Field(None, description="An answer's mode: extractive or llm")
    model: str | None = Field(None, description="The model that wrote an LLM answer (a fallback endpoint's, maybe)")
    created_at: UtcDatetime


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    title: str
    knowledge_bases: list[str]
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ConversationDetailOut(ConversationOut):
    messages: list[ChatMessageOut] = []


# -- knowledge graph -------------------------------------------------------------------------------
class ProvenanceOut(BaseModel):
    chunk_ids: list[str] = Field(description="Vector-store ids of supporting chunks (up to 100)")
    document_ids: list[str]
    total: int = Field(description="All supporting chunks (more than chunk_ids lists when truncated)")


class EntityOut(BaseModel):
    key: str
    kb_id: str
    name: str
    type: str
    aliases: list[str]
    mentions: int
    provenance: ProvenanceOut


class RelationOut(BaseModel):
    key: str
    kb_id: str
    type: str
    subject_key: str
    object_key: str
    support: int
    provenance: ProvenanceOut


class EntityDetailOut(BaseModel):
    entity: EntityOut
    relations: list[RelationOut]
    neighbours: list[EntityOut]


class GraphPathOut(BaseModel):
    entity_keys: list[str]
    relation_keys: list[str] = Field(description="relation_keys[i] joins entity_keys[i] and entity_keys[i + 1]")


class GraphOut(BaseModel):
    paths: list[GraphPathOut]
    entities: list[EntityOut]
    relations: list[RelationOut]


class UsedGraphOut(GraphOut):
    linked: list[LinkedEntityOut]


SearchResponse.model_rebuild()


# -- reports ---------------------------------------------------------------------------------------
class ReportTemplateOut(BaseModel):
    id: str
    title: str
    language: str
    description: str
    sections: list[str]


class CreditReportRequest(BaseModel):
    company: str = Field(min_length=1, max_length=200, description="The borrower, as named in its materials")
    knowledge_bases: list[str] | None = Field(None, description="Ids or names; default: all")
    document_ids: list[str] | None = Field(None, description="The company's materials; default: every document "
                                           "whose name contains the company's name")
    template: str = Field("credit_report_zh", description="Report template id (GET /reports/templates)")
    mode: AnswerMode | None = Field(None, description="Narrative sections: extractive or llm (default "
                                    "ZHIKU_ANSWER_MODE)")


class ReportDraftRequest(BaseModel):
    template: str = Field(description="Report template id (GET /reports/templates)")
    subject: str = Field(min_length=1, max_length=200, description="Company, issuer or topic of the report")
    knowledge_bases: list[str] | None = None
    document_ids: list[str] | None = None
    mode: AnswerMode | None = None



# -- feedback --------------------------------------------------------------------------------------
class FeedbackIn(BaseModel):
    rating: Literal["up", "down"]
    comment: str = Field("", max_length=2000)


class FeedbackOut(BaseModel):
    id: str
    message_id: str
    rating: str
    comment: str
    created_at: UtcDatetime
    question: str | None = None
    answer: str | None = None
    answer_mode: str | None = None
    model: str | None = None


class DoctorFindingOut(BaseModel):
    code: str
    message: str
    items: list[str]
    repairable: bool
    repaired: bool


class DoctorReportOut(BaseModel):
    findings: list[DoctorFindingOut] = Field(description="Only what is wrong; empty: all consistent")
