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

from answer.llm_client import LlmClient
from core.errors import LlmUnavailable
from retrieval.search_hit import SearchHit
from scenarios.report_template import FieldSpec

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

    def extract(self, spec: FieldSpec, search: Search) -> FieldValue | None:
        seen: dict[str, SearchHit] = {}
        for query in spec.queries:
            for hit in search(query):
                seen.setdefault(hit.chunk_id, hit)
                if spec.pattern is not None:
                    value = self._match(spec, hit.text)
                    if value:
                        return FieldValue(spec.id, spec.label, value, hit, "pattern")
        if self.llm is not None and seen:
            return self._ask_llm(spec, list(seen.values())[:self.passages_for_llm])
        return None

    @staticmethod
    def _match(spec: FieldSpec, text: str) -> str | None:
        match = spec.pattern.search(text)
        if not match:
            return None
        value = (match.groupdict().get("value") or match.group(0)).strip(" ：:|")
        return value or None

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


def _compact(text: str) -> str:
    return _SPACES.sub("", text)
