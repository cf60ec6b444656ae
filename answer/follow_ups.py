"""Suggested follow-up questions: what else the cited sections answer.

With an LLM the model proposes them from the evidence; otherwise (or when it fails) they are built from
the headings of the retrieved sections the answer did not already cover, so each one leads to evidence.
"""
from __future__ import annotations

import logging
from pathlib import PurePath

from zhiku.answer.llm_client import LlmClient
from zhiku.answer.prompts import FOLLOW_UP_SYSTEM
from zhiku.core.errors import LlmUnavailable
from zhiku.retrieval.script import majority_script
from zhiku.retrieval.search_hit import SearchHit

log = logging.getLogger(__name__)


class FollowUpSuggester:
    def __init__(self, llm: LlmClient | None = None, count: int = 3):
        self.llm = llm
        self.count = count

    def suggest(self, question: str, hits: list[SearchHit]) -> list[str]:
        if not hits:
            return []
        if self.llm is not None:
            suggestions = self._from_llm(question, hits)
            if suggestions:
                return suggestions
        return self._from_headings(question, hits)

    def _from_headings(self, question: str, hits: list[SearchHit]) -> list[str]:
        chinese = majority_script(question) == "cjk"
        seen: set[str] = set()
        out: list[str] = []
        for hit in hits:
            # A section heading, else the document's name without its extension ("营业时间通知").
            heading = (hit.citation.heading_path or [PurePath(hit.citation.document_name).stem])[-1].strip()
            heading = heading.lstrip("#").strip()
            if not heading or heading in seen or heading in question:
                continue
            seen.add(heading)
            # The heading itself, as a question: its words are the section's, so the answer is found there.
            out.append(f"{heading}？" if chinese else f"{heading}?")
            if len(out) == self.count:
                break
        return out

    def _from_llm(self, question: str, hits: list[SearchHit]) -> list[str]:
        context = "\n".join(f"- {h.text[:200]}" for h in hits[:4])
        try:
            reply = self.llm.chat([{"role": "system", "content": FOLLOW_UP_SYSTEM},
                                   {"role": "user", "content": f"Evidence:\n{context}\n\nQuestion: {question}"}],
                                  max_tokens=120, temperature=0.3).text
        except LlmUnavailable as exc:
            log.warning("follow-up suggestions by the LLM failed: %s", exc.message[:200])
            return []
        lines = [line.strip().lstrip("-•0123456789.、) ").strip() for line in reply.splitlines()]
        return [line for line in lines if 4 <= len(line) <= 120][:self.count]
