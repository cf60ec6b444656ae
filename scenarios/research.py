"""Research: structured extraction from bond documents and research reports, and Q&A over chosen reports.

Extraction reuses the report writer's engine on the research template (scenarios/templates/
research_report_zh.yaml): each field is copied from a passage by the template's pattern (or, with an LLM,
accepted only if it appears verbatim in the passage the model names) and cites that one passage; line items
are copied from statement rows and ratios computed from them; conclusions and risks are answered over the
documents' own evidence. Nothing is searched outside the chosen documents, and a field that is not found is
listed in `missing`, never filled in.

Q&A is the answer service with its scope narrowed to the chosen documents. A draft report from the same
template goes through ReportService.draft (POST /reports/draft with template research_report_zh).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

from zhiku.answer.answer_service import AnswerScope, AnswerService
from zhiku.answer.chat_service import citation_record
from zhiku.answer.grounded_answerer import Answer, AnswerEvent
from zhiku.core.errors import InvalidInput
from zhiku.core.read_scope import ReadScope
from zhiku.retrieval.hybrid_retriever import RetrievalMode
from zhiku.retrieval.search_hit import SearchHit
from zhiku.scenarios.report import Report, Statement
from zhiku.scenarios.report_service import ReportService, access_filter
from zhiku.scenarios.report_template import ReportTemplate

TEMPLATE_ID = "research_report_zh"
FIELD_TOP_K = 5  # passages searched per field query, as the report writer does
# Narrative sections of the template → keys of the extraction result; any other narrative section is
# returned under its own section id.
NARRATIVE_KEYS = {"conclusion": "conclusions", "risks": "risks"}

Search = Callable[[str, int], list[SearchHit]]


class ResearchService:
    def __init__(self, reports: ReportService, answers: AnswerService, template_id: str = TEMPLATE_ID):
        self.reports = reports
        self.answers = answers
        self.template_id = template_id

    # -- the chosen documents ---------------------------------------------------------------------
    def documents(self, kb_ids: list[str], document_ids: list[str] | None, subject: str | None = None,
                  access: ReadScope | None = None) -> list[dict]:
        """The chosen, indexed documents ({id, name, kb_id}); by name of the subject when no ids are given."""
        if not document_ids and not (subject or "").strip():
            raise InvalidInput("choose the reports: pass document_ids (or a subject named in the documents' names)")
        return self.reports.subject_documents((subject or "").strip(), kb_ids, document_ids, access)

    def search_in(self, kb_ids: list[str], documents: list[dict], access: ReadScope | None = None) -> Search:
        """search(query, top_k) over these documents only."""
        chunk_filter = access_filter(kb_ids, [d["id"] for d in documents], access)

        def search(query: str, top_k: int) -> list[SearchHit]:
            return self.reports.retriever.retrieve(query, chunk_filter, top_k, RetrievalMode.HYBRID_RERANK).hits

        return search

    # -- extraction -------------------------------------------------------------------------------
    def extract(self, kb_ids: list[str], document_ids: list[str] | None, subject: str | None = None,
                mode: str | None = None, access: ReadScope | None = None) -> dict:
        """Fields, metrics, conclusions and risks of the chosen documents, each with its citation."""
        template = self.reports.templates.get(self.template_id)
        mode = self.answers.mode(mode)  # a bad mode is refused before any work
        documents = self.documents(kb_ids, document_ids, subject, access)
        search = self.search_in(kb_ids, documents, access)

        # The issuer first: without a subject given, the issuer found is the name the other fields are read
        # near (fields marked near_subject, e.g. the issuer's rating rather than a guarantor's).
        specs = sorted((f for s in template.sections for f in s.fields), key=lambda f: f.id != "issuer")
        subject = (subject or "").strip() or None
        found_fields: dict[str, dict] = {}
        extractor = self.reports.writer.fields
        for spec in specs:
            found = extractor.extract(spec, lambda query: search(query, FIELD_TOP_K), subject)
            if found is None:
                continue
            found_fields[spec.id] = {"label": spec.label, "value": found.value, "how": found.how,
                                     "citation": citation_record(found.hit)}
            if spec.id == "issuer" and subject is None:
                subject = found.value
        order = [f.id for s in template.sections for f in s.fields]
        fields = {i: found_fields[i] for i in order if i in found_fields}
        missing = [i for i in order if i not in found_fields]

        subject = subject or "研究材料"
        report = self.reports.writer.write(_without_fields(template), subject, documents, search, mode)
        result = {"template_id": template.id, "subject": subject, "mode": report.mode, "documents": documents,
                  "fields": fields, "missing": missing, **_figures_and_narratives(template, report),
                  "warnings": report.warnings}
        return result

    # -- questions --------------------------------------------------------------------------------
    def scope(self, kb_ids: list[str], document_ids: list[str], top_k: int | None = None,
              access: ReadScope | None = None) -> AnswerScope:
        """The answer scope of exactly the chosen documents (unknown or unindexed ids are refused)."""
        if not document_ids:
            raise InvalidInput("choose the reports to ask: pass document_ids")
        documents = self.documents(kb_ids, document_ids, access=access)
        ids = [d["id"] for d in documents]
        restricted = access is not None and not access.unrestricted
        return AnswerScope(kb_ids, ids, access.principals if access else None, top_k,
                           list(access.full_kb_ids) if access else [], ids if restricted else None)

    def ask(self, question: str, kb_ids: list[str], document_ids: list[str], mode: str | None = None,
            top_k: int | None = None, access: ReadScope | None = None) -> Answer:
        return self.answers.answer(question, self.scope(kb_ids, document_ids, top_k, access), mode)

    def stream(self, question: str, kb_ids: list[str], document_ids: list[str], mode: str | None = None,
               top_k: int | None = None, access: ReadScope | None = None) -> Iterator[AnswerEvent]:
        scope = self.scope(kb_ids, document_ids, top_k, access)  # refused before the stream starts
        mode = self.answers.mode(mode)
        return self.answers.stream(question, scope, mode)


def _without_fields(template: ReportTemplate) -> ReportTemplate:
    """The template's figure and narrative sections only (the fields are extracted one by one above)."""
    sections = tuple(dataclasses.replace(s, fields=()) for s in template.sections
                     if s.figures is not None or s.narrative is not None)
    return dataclasses.replace(template, sections=sections)


def _figures_and_narratives(template: ReportTemplate, report: Report) -> dict:
    def cited(numbers: list[int]) -> list[dict]:
        return [citation_record(report.citations[n - 1]) for n in numbers]

    def statement(st: Statement) -> dict:
        citations = cited(st.citations)
        return {"text": st.text, "supported": st.supported, "citation": citations[0] if citations else None,
                "citations": citations}

    specs = {s.id: s for s in template.sections}
    metrics: list[dict] = []
    missing_metrics: list[str] = []
    out: dict[str, list[dict]] = {"conclusions": [], "risks": []}
    for section in report.sections:
        spec = specs[section.id]
        if spec.figures is not None:
            for row in section.figures:
                metrics.append({"id": row.item_id, "label": row.label, "unit": None if row.computed else section.unit,
                                "values": row.values, "computed": row.computed, "formula": row.formula,
                                "citations": cited(row.citations)})
            labels = {i.label: i.id for i in spec.figures.items} | {r.label: r.id for r in spec.figures.ratios}
            missing_metrics += [labels[g.item] for g in report.gaps if g.section == section.title and g.item in labels]
        if spec.narrative is not None:
            out.setdefault(NARRATIVE_KEYS.get(section.id, section.id), []).extend(
                statement(st) for st in section.statements)
    return {"metrics": metrics, "missing_metrics": missing_metrics, **out}
