"""Drafts a report from a template over one subject's documents: every statement cited, every gap listed.

Fields are copied from passages (scenarios/field_extraction.py); statement figures are copied verbatim
and ratios computed from them (scenarios/financial_figures.py); narrative sections are answered by the
answer service over the section's evidence (extractive offline, grounded generation with an LLM). What is
not found becomes a gap — the writer never fills one in.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from zhiku.answer.answer_service import AnswerService
from zhiku.retrieval.search_hit import SearchHit
from zhiku.scenarios.field_extraction import FieldExtractor
from zhiku.scenarios.financial_figures import Figure, evaluate, figures_in, formula_inputs
from zhiku.scenarios.report import FigureRow, Gap, Report, ReportSection, Statement
from zhiku.scenarios.report_template import FiguresSpec, NarrativeSpec, ReportTemplate, SectionSpec
from zhiku.scenarios.table_row_subject import row_subject

# search(query, top_k) over the subject's documents only
Search = Callable[[str, int], list[SearchHit]]

_FIELD_TOP_K = 5
_NARRATIVE_TOP_K = 6
_FIGURE_TOP_K = 8


class ReportWriter:
    def __init__(self, answers: AnswerService, fields: FieldExtractor):
        self.answers = answers
        self.fields = fields

    def write(self, template: ReportTemplate, subject: str, documents: list[dict], search: Search,
              mode: str | None = None) -> Report:
        mode = self.answers.mode(mode)
        report = Report(uuid.uuid4().hex, template.id, f"{subject} {template.title}", subject, documents, [], [], [],
                        mode=mode, created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        for spec in template.sections:
            section = ReportSection(spec.id, spec.title)
            self._fields(spec, section, report, search, subject)
            if spec.figures is not None:
                self._figures(spec.figures, section, report, search)
            if spec.narrative is not None:
                self._narrative(spec.narrative, section, report, search, mode)
            report.sections.append(section)
        return report

    # -- fields -------------------------------------------------------------------------------
    def _fields(self, spec: SectionSpec, section: ReportSection, report: Report, search: Search,
                subject: str) -> None:
        for field in spec.fields:
            found = self.fields.extract(field, lambda q: search(q, _FIELD_TOP_K), subject)
            if found is None:
                if field.required:
                    report.gaps.append(Gap(spec.title, field.label, "材料中未找到 / not found in the materials"))
                continue
            section.statements.append(Statement(f"{field.label}：{found.value}", [report.cite(found.hit)],
                                                label=field.label, value=found.value))

    # -- figures ------------------------------------------------------------------------------
    def _figures(self, spec: FiguresSpec, section: ReportSection, report: Report, search: Search) -> None:
        numbers: dict[str, dict[str, float]] = {}  # period → item id → value
        cited_rows: dict[str, list[int]] = {}
        for item in spec.items:
            chosen: dict[str, Figure] = {}
            for hit in search(item.label, _FIGURE_TOP_K):
                for figure in figures_in(hit, item.id, item.label):
                    first = chosen.setdefault(figure.period, figure)
                    if first is not figure and abs(first.value - figure.value) > 0.005:
                        report.warnings.append(
                            f"{item.label} {figure.period}：{first.hit.citation.document_name} 为 {first.text}，"
                            f"{figure.hit.citation.document_name} 为 {figure.text}，两处不一致，请核对")
            if not chosen:
                report.gaps.append(Gap(section.title, item.label, "报表中未找到该项目 / line item not found"))
                continue
            section.unit = section.unit or next((f.unit for f in chosen.values() if f.unit), None)
            citations = list(dict.fromkeys(report.cite(f.hit) for f in chosen.values()))
            cited_rows[item.id] = citations
            section.figures.append(FigureRow(item.id, item.label, {p: f.text for p, f in chosen.items()}, citations))
            for period, figure in chosen.items():
                numbers.setdefault(period, {})[item.id] = figure.value
        section.periods = sorted(numbers, reverse=True)
        for ratio in spec.ratios:
            values: dict[str, str] = {}
            for period in section.periods:
                result = evaluate(ratio.formula, numbers[period])
                if result is not None:
                    values[period] = f"{result * 100:.2f}%" if ratio.percent else f"{result:.2f}"
            inputs = formula_inputs(ratio.formula)
            if not values:
                report.gaps.append(Gap(section.title, ratio.label, "计算所需项目缺失 / inputs missing"))
                continue
            citations = list(dict.fromkeys(n for i in inputs for n in cited_rows.get(i, [])))
            labels = {item.id: item.label for item in spec.items}
            formula = ratio.formula
            for item_id in sorted(inputs, key=len, reverse=True):
                formula = formula.replace(item_id, labels.get(item_id, item_id))
            section.figures.append(FigureRow(ratio.id, ratio.label, values, citations, computed=True, formula=formula))

    # -- narrative ----------------------------------------------------------------------------
    def _narrative(self, spec: NarrativeSpec, section: ReportSection, report: Report, search: Search,
                   mode: str) -> None:
        # Each query is answered over its own results (scores of different queries are not comparable, and a
        # broad question matches few words of any one sentence); the answers' sentences are merged in turn.
        seen: set[str] = set()
        excluded = [re.compile(pattern) for pattern in spec.exclude]
        for query in (spec.question, *spec.queries):
            answer = self.answers.answer_from_hits(query, search(query, _NARRATIVE_TOP_K), mode)
            if not answer.found:
                continue
            for sentence in answer.sentences:
                key = "".join(sentence.text.split())
                if key in seen or any(pattern.search(sentence.text) for pattern in excluded):
                    continue
                seen.add(key)
                text = sentence.text
                if sentence.citations:
                    subject = row_subject(answer.citations[sentence.citations[0] - 1].text, text)
                    text = f"{subject}：{text}" if subject else text
                numbers = [report.cite(answer.citations[n - 1]) for n in sentence.citations]
                section.statements.append(Statement(text, numbers, supported=sentence.supported))
            if mode == "llm" and section.statements:
                break  # a generated answer to the section's question covers it; the keyword queries are for extracts
        if not section.statements:
            report.gaps.append(Gap(section.title, spec.question, "材料中没有相关内容 / no evidence in the materials"))
