"""Suggested follow-up questions: real questions that the retrieved evidence answers.

Candidates come from the evidence itself — the questions an FAQ asks and answers ("销卡后已收取的年费会退吗？"),
a table row's other columns asked about its key ("二套房的最长期限是多少？"), a section heading asked about
("挂失有哪些规定？"), and, with an LLM, the model's proposals — and each is kept only when the answer selector
finds a sentence in the same evidence that answers
it (its answerability at or above the operating point, retrieval/answer_selector.py) and it is not the question
just asked. Without an answerer to check them, none is suggested rather than unchecked ones.
"""
from __future__ import annotations

import logging
import re

from zhiku.answer.llm_client import LlmClient
from zhiku.answer.prompts import FOLLOW_UP_SYSTEM
from zhiku.core.errors import LlmUnavailable
from zhiku.core.sentences import sentence_spans
from zhiku.retrieval.extractive_answer import ExtractiveAnswerer
from zhiku.retrieval.script import majority_script
from zhiku.retrieval.search_hit import SearchHit

log = logging.getLogger(__name__)

_FAQ_MARK = re.compile(r"^[*#\s>]*(?:Q\d{1,3}\s*[:：.、]\s*|问\s*[:：]\s*|Question\s*\d*\s*[:：.]\s*)?", re.I)
_CELL = re.compile(r"\s\|\s")
_MAX_CANDIDATES = 10


class FollowUpSuggester:
    def __init__(self, llm: LlmClient | None = None, count: int = 3, answerer: ExtractiveAnswerer | None = None):
        self.llm = llm
        self.count = count
        self.answerer = answerer

    def suggest(self, question: str, hits: list[SearchHit]) -> list[str]:
        if not hits or self.answerer is None:
            return []
        candidates = self._from_llm(question, hits) if self.llm is not None else []
        candidates += self.candidates(question, hits)
        out: list[str] = []
        for candidate in dict.fromkeys(candidates):
            if len(out) == self.count:
                break
            if _similar(candidate, question) or any(_similar(candidate, kept) for kept in out):
                continue
            if self.answerer.confidence(candidate, hits) >= self.answerer.min_confidence:
                out.append(candidate)
        return out

    def candidates(self, question: str, hits: list[SearchHit]) -> list[str]:
        """Questions the evidence states or implies, in the question's language where it can tell."""
        chinese = majority_script(question) == "cjk"
        faq, rows = [], []
        for hit in hits:
            text = hit.parent_text or hit.text
            for start, end in sentence_spans(text):
                sentence = _FAQ_MARK.sub("", text[start:end]).strip(" *")
                if sentence.endswith(("？", "?")) and 5 <= len(sentence) <= 60 \
                        and (majority_script(sentence) == "cjk") == chinese:
                    faq.append(sentence)
                elif len(_CELL.split(sentence)) >= 3:
                    rows.extend(_row_questions(sentence, chinese))
        # A section heading asked about ("挂失有哪些规定？"): checked like the others, so only a section whose
        # text answers it survives.
        headings = []
        for hit in hits:
            heading = (hit.citation.heading_path or [""])[-1].strip().lstrip("#").strip()
            heading = re.sub(r"^[一二三四五六七八九十\d]+[、.．]\s*|\s*[（(][^）)]*[）)]\s*$", "", heading)
            if heading and heading not in question:
                headings.append(f"{heading}有哪些规定？" if chinese else f"What are the rules on {heading.lower()}?")
        return list(dict.fromkeys(faq + rows + headings))[:_MAX_CANDIDATES]

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


def _row_questions(row: str, chinese: bool) -> list[str]:
    """"住房类型: 二套房 | 最长期限: 25年" → "二套房的最长期限是多少？"."""
    cells = [c.partition(":") for c in _CELL.split(row)]
    key = cells[0][2].strip() or cells[0][0].strip()
    out = []
    for header, sep, value in cells[1:]:
        header = re.sub(r"\s*[（(][^）)]*[）)]\s*", "", header).strip() if chinese else header.strip()
        if not sep or not header or not value.strip() or len(header) > 20:
            continue
        out.append(f"{key}的{header}是多少？" if chinese else f"What is the {header.lower()} of {key}?")
    return out


def _similar(a: str, b: str) -> bool:
    grams = lambda s: {s[i:i + 2] for i in range(len(s) - 1)}  # noqa: E731
    x, y = grams(re.sub(r"\W", "", a.lower())), grams(re.sub(r"\W", "", b.lower()))
    return bool(x and y) and len(x & y) / len(x | y) >= 0.6
