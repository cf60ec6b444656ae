"""Fields from documents: a value, copied exactly from a passage, with that passage as its citation.

The template's pattern is tried on the passages retrieved for the field's queries, best first. With an LLM
configured, a field no pattern found is asked of the model over numbered passages; its value is accepted
only if it appears verbatim in the passage it names, so a model can miss a field but cannot invent one.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from zhiku.answer.llm_client import LlmClient
from zhiku.core.errors import LlmUnavailable
from zhiku.retrieval.search_hit import SearchHit
from zhiku.scenarios.company_names import short_name
from zhiku.scenarios.report_template import FieldSpec

log = logging.getLogger(__name__)

Search = Callable[[str], list[SearchHit]]
_SPACES = re.compile(r"\s+")

FIELD_PROMPT = """From the numbered passages, copy the value of the field "{label}" exactly as written.
Reply with JSON only: {{"value": "<exact text>", "passage": <number>}}, or {{"value": null}} if no passage
states it."""


@dataclass(slots=True)
class FieldValue:
    field_id: str
    label: str
    value: str
    hit: SearchHit
    how: str  # pattern | llm


class FieldExtractor:
    def __init__(self, llm: LlmClient | None = None, passages_for_llm: int = 5):
        self.llm = llm
        self.passages_for_llm = passages_for_llm

    def extract(self, spec: FieldSpec, search: Search, subject: str | None = None) -> FieldValue | None:
        seen: dict[str, SearchHit] = {}
        candidates: list[tuple[tuple, FieldValue]] = []
        for query in spec.queries:
            for rank, hit in enumerate(search(query)):
                if hit.chunk_id in seen:
                    continue
                seen[hit.chunk_id] = hit
                if spec.pattern is None:
                    continue
                text = key_value_lines(hit.text)
                for match in spec.pattern.finditer(text):
                    value = (match.groupdict().get("value") or match.group(0)).strip(" ：:|")
                    if not value:
                        continue
                    distance = _subject_rank(text, match.start(), subject) if spec.near_subject else 0
                    candidates.append(((distance, len(candidates)), FieldValue(spec.id, spec.label, value, hit,
                                                                               "pattern")))
        if candidates:
            return min(candidates, key=lambda c: c[0])[1]
        if self.llm is not None and seen:
            return self._ask_llm(spec, list(seen.values())[:self.passages_for_llm])
        return None

    def _ask_llm(self, spec: FieldSpec, hits: list[SearchHit]) -> FieldValue | None:
        passages = "\n\n".join(f"[{i}] {h.text[:800]}" for i, h in enumerate(hits, start=1))
        try:
            reply = self.llm.chat([{"role": "system", "content": FIELD_PROMPT.format(label=spec.label)},
                                   {"role": "user", "content": passages}], max_tokens=120).text
            data = json.loads(reply.strip().removeprefix("```json").removeprefix("```").removesuffix("```"))
        except (LlmUnavailable, ValueError) as exc:
            log.info("LLM field extraction for %s gave nothing usable: %s", spec.label, str(exc)[:200])
            return None
        if not isinstance(data, dict) or not isinstance(data.get("value"), str) or not data["value"].strip():
            return None
        value = data["value"].strip()
        number = data.get("passage")
        candidates = [hits[number - 1]] if isinstance(number, int) and 1 <= number <= len(hits) else hits
        for hit in candidates:
            if _compact(value) and _compact(value) in _compact(hit.text):
                return FieldValue(spec.id, spec.label, value, hit, "llm")
        log.info("LLM value %r for %s is not in its passage; dropped", value[:80], spec.label)
        return None


_KEY_VALUE_ROW = re.compile(r"^[^|:\n]{1,12}: (?P<key>[^|\n]{1,30}) \| [^|:\n]{1,12}: (?P<value>[^\n]+)$")
_LABEL_CELL_ROW = re.compile(r"^(?P<key>[^|:：\n]{1,12}) \| (?P<value>[^|\n]+)$")


def key_value_lines(text: str) -> str:
    """The passage, plus "key：value" for each two-column row: a parsed table's ("项目: 保证期间 | 约定内容:
    三年") and an OCR'd form's ("住所 | 江苏省…", whose value may wrap onto lines without a cell
    separator), so one pattern reads a field from prose, tables and scanned forms alike."""
    lines = text.splitlines()
    extra = []
    for i, line in enumerate(lines):
        match = _KEY_VALUE_ROW.match(line) or _LABEL_CELL_ROW.match(line)
        if not match:
            continue
        value = match.group("value").strip()
        for following in lines[i + 1:]:
            if "|" in following or not following.strip():
                break
            value += following.strip()
        extra.append(f"{match.group('key').strip()}：{value}")
    return text + ("\n" + "\n".join(extra) if extra else "")


_COMPANY = re.compile(r"[\u4e00-\u9fff（）()]{2,40}?(?:股份有限公司|有限责任公司|有限公司|集团公司)")


def _subject_rank(text: str, at: int, subject: str | None) -> int:
    """0: the last company named before the match is the subject (its own record); 1: no company is named
    before it; 2: another company is (a guarantor's or customer's record in the same passage)."""
    if not subject:
        return 0
    key = short_name(subject)
    before = list(_COMPANY.finditer(text, 0, at))
    if not before:
        return 1
    return 0 if key in before[-1].group() else 2


def _compact(text: str) -> str:
    return _SPACES.sub("", text)
