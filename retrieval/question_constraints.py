"""The explicit constraints a question puts on its answer, and whether a passage meets them.

A question that names a year, a figure or a title ("2021年香港GDP增长了多少", "电影《四海》的导演是谁") is
answered only by a passage about that year or that title. Passages about the same topic in another year
share almost every other word with the question, so term overlap alone cannot tell them apart; without this
check the offline answerer quoted last year's figure as this year's.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from retrieval.search_hit import SearchHit

# A number glued to Latin letters is part of a name ("Q3", "MIX4", "93rd"), written differently elsewhere
# ("third quarter"), so it is no constraint; the name's words count in the term overlap instead.
_NUMBER = re.compile(r"(?<![a-z\d.])\d+(?:\.\d+)?(?![a-z\d])")
_TITLE = re.compile(r"《([^《》]{1,40})》")


@dataclass(frozen=True, slots=True)
class QuestionConstraints:
    numbers: tuple[str, ...]  # digit strings as written, e.g. "2021", "1500", "6.4"
    titles: tuple[str, ...]  # the text inside 《》

    def __bool__(self) -> bool:
        return bool(self.numbers or self.titles)

    def met_by(self, text: str) -> bool:
        text = _fold(text)
        for number in self.numbers:
            # A whole number only: "2021" is not met by "20210" or "12021".
            if not re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", text):
                return False
        return all(title in text for title in self.titles)


def question_constraints(question: str) -> QuestionConstraints:
    question = _fold(question)
    titles = tuple(dict.fromkeys(m.group(1).strip() for m in _TITLE.finditer(question) if m.group(1).strip()))
    numbers = tuple(dict.fromkeys(m.group(0) for m in _NUMBER.finditer(question)))
    return QuestionConstraints(numbers, titles)


def hit_context(hit: SearchHit) -> str:
    """Everything that tells what a passage is about: its text, its parent section, its file and headings."""
    citation = hit.citation
    return "\n".join([hit.text, hit.parent_text or "", citation.document_name, *citation.heading_path])


def _fold(text: str) -> str:
    # Full-width digits and brackets are common in Chinese text: compare them as their ASCII forms.
    return unicodedata.normalize("NFKC", text).lower()
