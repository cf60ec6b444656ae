"""Request and response bodies of /research (research reports and bond documents)."""
from __future__ import annotations

from pydantic import BaseModel, Field

from zhiku.api.schemas import AnswerMode


class ResearchExtractRequest(BaseModel):
    knowledge_bases: list[str] | None = Field(None, description="Ids or names; default: all")
    document_ids: list[str] = Field(min_length=1, description="The chosen reports: nothing else is searched")
    subject: str | None = Field(None, max_length=200, description="Issuer or topic (default: the issuer found)")
    mode: AnswerMode | None = Field(None, description="Conclusions and risks: extractive or llm (default "
                                    "ZHIKU_ANSWER_MODE); fields and figures are always copied from the text")


class ResearchAskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    knowledge_bases: list[str] | None = Field(None, description="Ids or names; default: all")
    document_ids: list[str] = Field(min_length=1, description="Answer only from these reports")
    top_k: int | None = Field(None, ge=1, le=50, description="Passages retrieved as evidence")
    mode: AnswerMode | None = None
    stream: bool = Field(False, description="Reply with server-sent events `delta` and `done`, as /answer does")


class ResearchCitationOut(BaseModel):
    chunk_id: str
    text: str = Field(description="The cited passage (first 500 characters)")
    label: str = Field(description="Readable location, e.g. \"report.pdf · p.2 · 一、债券要素\"")
    kb_id: str
    document_id: str
    document_name: str
    page: int | None = None
    page_end: int | None = None
    heading_path: list[str] = []
    char_start: int = 0
    char_end: int = 0
    bbox: list[float] | None = None
    start_s: float | None = None
    end_s: float | None = None


class ExtractedFieldOut(BaseModel):
    label: str
    value: str = Field(description="Exactly as written in the cited passage")
    how: str = Field(description="pattern (the template's regular expression) | llm (checked verbatim)")
    citation: ResearchCitationOut


class MetricOut(BaseModel):
    id: str
    label: str
    unit: str | None = Field(None, description="Unit of the statement (e.g. 亿元); None for ratios")
    values: dict[str, str] = Field(description="Period → value exactly as in the source (ratios: computed)")
    computed: bool = Field(False, description="A ratio computed from the line items")
    formula: str | None = None
    citations: list[ResearchCitationOut]


class CitedStatementOut(BaseModel):
    text: str
    supported: bool = True
    citation: ResearchCitationOut | None
    citations: list[ResearchCitationOut] = []


class DocumentRef(BaseModel):
    id: str
    name: str
    kb_id: str


class ResearchExtractResponse(BaseModel):
    template_id: str
    subject: str
    mode: str
    documents: list[DocumentRef]
    fields: dict[str, ExtractedFieldOut] = Field(description="Field id → value with one citation")
    missing: list[str] = Field(description="Ids of the template's fields not found in the documents")
    metrics: list[MetricOut]
    missing_metrics: list[str] = Field(description="Line items and ratios not found or not computable")
    conclusions: list[CitedStatementOut]
    risks: list[CitedStatementOut]
    warnings: list[str] = []
