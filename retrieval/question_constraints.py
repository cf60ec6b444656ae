"""The explicit constraints a question puts on its answer, and whether a passage contradicts them.

A question that names a year, a quantity with its unit or a title ("2021年香港GDP增长了多少",
"欧元区2022年8月通胀率", "电影《四海》的导演是谁") is not answered by a passage about another year, month or
title. Such passages share almost every other word with the question, so term overlap alone cannot tell
them apart; without this check the offline answerer quoted last year's figure as this year's.

A passage that names *no* year (or month, or title) is not ruled out: bank policies and FAQs often state
the rule without the year a user puts in the question, and refusing those would hide the answer.

Values of one kind joined by a conjunction ("2021年和2022年", "8月、9月", "《甲》与《乙》") are alternatives, not
one constraint each (`alternatives`): a question joining two facts pins each fact to one of them, and the passage
stating one fact states only its own year. Values not joined so ("2021-2022赛季", "2022年比2021年") are each pinned.

Not every year a passage names is the year it is about (`dated_years`): a report on 2022's election that recalls the
2018 one, or an office's history (1920 … 1994), names years as background. A passage is *dated* by the years of its
lead sentence (a news lead says when) and of its calendar dates (a year with a month: "2022年11月26日", "2022-11-26",
"Nov 27, 2022"); only those say it is about another year than the question's.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A number glued to Latin letters is part of a name ("Q3", "MIX4", "93rd"), so only free-standing ones count,
# and only with a measure word after them ("8月", "180天", "第3条"; not "无双3的").
_MEASURE_WORDS = "月日号天周季期条款项章节次个人家名位户笔张元亿万千百米吨辆台套倍秒岁层届级座批股份只件页"
_NUMBER = re.compile(rf"(?<![a-z\d.])(\d+(?:\.\d+)?)(?![a-z\d])\s*([{_MEASURE_WORDS}]?)")
_YEAR = re.compile(r"(?<![a-z\d.])(?:19|20)\d\d(?![\d])")
_TITLE = re.compile(r"《([^《》]{1,40})》")
# A year with a month after it (2022年11月, 2022-11-26, 2022/11, 2022.11) or an English date before it (Nov 27, 2022;
# 27 November 2022): a calendar date, which dates what the passage reports.
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DATED_YEAR = re.compile(
    rf"(?<![a-z\d.])((?:19|20)\d\d)(?:\s*年\s*\d{{1,2}}\s*月|[-/.]\d{{1,2}}(?![\d]))"
    rf"|\b(?:{_MONTHS})[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)(?![\d])"
    rf"|\b\d{{1,2}}\s+(?:{_MONTHS})[a-z]*\.?,?\s+((?:19|20)\d\d)(?![\d])")
# Where a passage's lead sentence ends: Chinese and ASCII sentence ends, a line end, an English full stop.
_LEAD_END = re.compile(r"[。！？!?；;\n]|\.(?:\s|$)")
# What may stand between two values of one kind for them to be alternatives: a conjunction or an enumeration comma,
# with an optional 年 after a bare year ("2022和2023年") — nothing else (a dash is a range, other words a comparison).
_CONJUNCTION = re.compile(r"\s*(?:和|与|及|以及|跟|同|或|或者|还是|、|,|，|/|and|or)\s*")


@dataclass(frozen=True, slots=True)
class QuantityConstraint:
    number: str  # as written, e.g. "8", "1500", "6.4"
    unit: str  # the character after it, e.g. "月", "米", "条"

    def pattern(self, number: str) -> str:
        return rf"(?<![\d.]){number}(?![\d.])\s*{re.escape(self.unit)}"


@dataclass(frozen=True, slots=True)
class QuestionConstraints:
    years: tuple[str, ...]
    quantities: tuple[QuantityConstraint, ...]
    titles: tuple[str, ...]  # the text inside 《》
    # Values joined by a conjunction in the question, each group a tuple of the values as written (years, quantities'
    # numbers, titles); a value in no group is a group of its own (`pinned_groups`).
    alternatives: tuple[tuple[str, ...], ...] = ()

    def pinned_groups(self) -> list[tuple[str, ...]]:
        """Every pinned value, grouped: values joined by a conjunction form one group, any other value its own. A
        passage states a group when it states any of its values."""
        grouped = {v for group in self.alternatives for v in group}
        values = [*self.years, *(q.number for q in self.quantities), *self.titles]
        return [*self.alternatives, *((v,) for v in dict.fromkeys(values) if v not in grouped)]

    def __bool__(self) -> bool:
        return bool(self.years or self.quantities or self.titles)

    def met_by(self, text: str) -> bool:
        """False when the passage is about another year, quantity or title than the question names."""
        text = _fold(text)
        if self.years:
            mentioned = set(_YEAR.findall(text))
            if mentioned and not all(year in mentioned for year in self.years):
                return False
        for quantity in self.quantities:
            if re.search(quantity.pattern(r"\d+(?:\.\d+)?"), text) and \
                    not re.search(quantity.pattern(re.escape(quantity.number)), text):
                return False
        if self.titles and _TITLE.search(text) and not all(title in text for title in self.titles):
            return False
        return True


def question_constraints(question: str) -> QuestionConstraints:
    question = _fold(question)
    years = tuple(dict.fromkeys(_YEAR.findall(question)))
    quantities = tuple(dict.fromkeys(
        QuantityConstraint(number, unit) for number, unit in _NUMBER.findall(question)
        if unit and number not in years))
    titles = tuple(dict.fromkeys(m.group(1).strip() for m in _TITLE.finditer(question) if m.group(1).strip()))
    return QuestionConstraints(years, quantities, titles, _alternatives(question, years))


def dated_years(text: str) -> frozenset[str]:
    """The years that date a passage (module docstring): those of its lead sentence and of its calendar dates. A year
    named only elsewhere, without a month (a comparison, a biography, an office's history), is background: a passage
    naming only such years is not about another year than the question's, though it does not restate the question's
    (a report written in the year it reports says "今年")."""
    text = _fold(text)
    end = _LEAD_END.search(text)
    lead = text[:end.start()] if end else text
    dated = set(_YEAR.findall(lead))
    for m in _DATED_YEAR.finditer(text):
        dated.update(y for y in m.groups() if y)
    return frozenset(dated)


def _alternatives(question: str, years: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Groups of same-kind values joined by a conjunction in the (folded) question, in order of appearance."""
    spans = []  # (start, end, kind, value)
    for m in _YEAR.finditer(question):
        end = m.end() + (question[m.end():m.end() + 1] == "年")
        spans.append((m.start(), end, "year", m.group(0)))
    for m in _NUMBER.finditer(question):
        if m.group(2) and m.group(1) not in years:
            spans.append((m.start(), m.end(), "quantity:" + m.group(2), m.group(1)))
    for m in _TITLE.finditer(question):
        if m.group(1).strip():
            spans.append((m.start(), m.end(), "title", m.group(1).strip()))
    spans.sort()
    groups: list[list[str]] = []
    previous = None
    for span in spans:
        start, _, kind, value = span
        joined = (previous is not None and previous[2] == kind and previous[1] <= start
                  and _CONJUNCTION.fullmatch(question[previous[1]:start]) is not None)
        if joined and value not in groups[-1]:
            groups[-1].append(value)
        elif not joined:
            groups.append([value])
        previous = span
    return tuple(tuple(g) for g in groups if len(g) > 1)


def _fold(text: str) -> str:
    # Full-width digits are common in Chinese text: compare them as their ASCII forms.
    return unicodedata.normalize("NFKC", text).lower()
