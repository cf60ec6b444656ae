"""A drafted report: sections of cited statements and figure tables, the gaps, and one citation list."""
from __future__ import annotations

from dataclasses import dataclass, field

from zhiku.retrieval.search_hit import SearchHit


@dataclass(slots=True)
class Statement:
    text: str
    citations: list[int]             # numbers into Report.citations (1-based)
    label: str | None = None         # the field's label, for field statements ("法定代表人")
    value: str | None = None         # the field's value exactly as in the source
    supported: bool = True


@dataclass(slots=True)
class FigureRow:
    item_id: str
    label: str
    values: dict[str, str]           # period → value exactly as in the source (ratios: computed, rounded)
    citations: list[int]
    computed: bool = False           # a ratio, computed from the rows above
    formula: str | None = None


@dataclass(slots=True)
class Gap:
    section: str
    item: str
    reason: str


@dataclass(slots=True)
class ReportSection:
    id: str
    title: str
    statements: list[Statement] = field(default_factory=list)
    figures: list[FigureRow] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    unit: str | None = None


@dataclass(slots=True)
class Report:
    id: str
    template_id: str
    title: str
    subject: str                     # the company, issuer or topic the report is about
    documents: list[dict]            # {id, name} of the materials used
    sections: list[ReportSection]
    citations: list[SearchHit]
    gaps: list[Gap]
    warnings: list[str] = field(default_factory=list)
    mode: str = "extractive"
    created_at: str = ""

    def cite(self, hit: SearchHit) -> int:
        """The number of this passage in the citation list (added on first use)."""
        for number, cited in enumerate(self.citations, start=1):
            if cited.chunk_id == hit.chunk_id:
                return number
        self.citations.append(hit)
        return len(self.citations)
