"""Report templates: files, not code. A template lists sections; a section holds fields, figures or a narrative.

YAML layout (see scenarios/templates/credit_report_zh.yaml):
    id, title, language, description
    sections: - id, title, and one or more of
        fields:    [{id, label, queries: [...], pattern: regex with a (?P<value>...) group, required: bool,
                     near_subject: bool (prefer the match closest to the subject's name)}]
        figures:   {queries_suffix, items: [{id, label}], ratios: [{id, label, formula, percent}]}
        narrative: {question: ..., queries: [...]}
Built-in templates live in scenarios/templates; ZHIKU_REPORT_TEMPLATE_DIR adds more (same id: replaces).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from zhiku.core.errors import ConfigurationError, NotFound

BUILT_IN_DIR = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    id: str
    label: str
    queries: tuple[str, ...]
    pattern: re.Pattern | None
    required: bool = True
    # The field describes the report's subject (the borrower): a match next to the subject's name wins
    # over one in a passage about another party (a guarantor's credit code in the guarantee contract).
    near_subject: bool = False


@dataclass(frozen=True, slots=True)
class FigureItem:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class RatioSpec:
    id: str
    label: str
    formula: str      # arithmetic over figure ids, e.g. "total_liabilities / total_assets"
    percent: bool = False


@dataclass(frozen=True, slots=True)
class FiguresSpec:
    items: tuple[FigureItem, ...]
    ratios: tuple[RatioSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class NarrativeSpec:
    question: str
    queries: tuple[str, ...] = ()
    # Sentences that are never the section's content however well they match (an auditor's standard wording in
    # a conclusion, a disclaimer among research conclusions): regular expressions.
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SectionSpec:
    id: str
    title: str
    fields: tuple[FieldSpec, ...] = ()
    figures: FiguresSpec | None = None
    narrative: NarrativeSpec | None = None


@dataclass(frozen=True, slots=True)
class ReportTemplate:
    id: str
    title: str
    language: str
    description: str
    sections: tuple[SectionSpec, ...] = field(default_factory=tuple)


def load_template(path: Path) -> ReportTemplate:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return _template(data)
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, re.error) as exc:
        raise ConfigurationError(f"report template {path} is not valid: {exc}") from exc


def _template(data: dict) -> ReportTemplate:
    sections = []
    for s in data["sections"]:
        fields = tuple(FieldSpec(f["id"], f["label"], tuple(f.get("queries") or [f["label"]]),
                                 re.compile(f["pattern"]) if f.get("pattern") else None, bool(f.get("required", True)),
                                 bool(f.get("near_subject", False)))
                       for f in s.get("fields") or [])
        figures = None
        if s.get("figures"):
            fig = s["figures"]
            figures = FiguresSpec(tuple(FigureItem(i["id"], i["label"]) for i in fig["items"]),
                                  tuple(RatioSpec(r["id"], r["label"], r["formula"], bool(r.get("percent")))
                                        for r in fig.get("ratios") or []))
        narrative = None
        if s.get("narrative"):
            n = s["narrative"]
            narrative = NarrativeSpec(n["question"], tuple(n.get("queries") or []), tuple(n.get("exclude") or []))
        sections.append(SectionSpec(s["id"], s["title"], fields, figures, narrative))
    return ReportTemplate(data["id"], data["title"], data.get("language", "zh"), data.get("description", ""),
                          tuple(sections))


class TemplateLibrary:
    def __init__(self, extra_dir: Path | None = None):
        self.dirs = [BUILT_IN_DIR] + ([extra_dir] if extra_dir else [])

    def all(self) -> dict[str, ReportTemplate]:
        templates: dict[str, ReportTemplate] = {}
        for folder in self.dirs:
            if folder.is_dir():
                for path in sorted(folder.glob("*.yaml")):
                    template = load_template(path)
                    templates[template.id] = template
        return templates

    def get(self, template_id: str) -> ReportTemplate:
        templates = self.all()
        if template_id not in templates:
            raise NotFound(f"report template {template_id!r} not found; available: {', '.join(sorted(templates))}")
        return templates[template_id]
