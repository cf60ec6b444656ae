"""One spelling for what a question and its evidence write differently, before they are compared.

"客户想买第二套房，最多能贷几成？" and the table row "住房类型: 二套房 | 最高贷款成数: 70%" share almost no
terms as written: 第二套房/二套房 and 几成/成数 are spelled apart, and so are full- and half-width digits,
Chinese and Arabic numerals ("三个月" / "3个月") and English and Chinese names of the same banking term. This
folds all of them to one form: NFKC (full width → half width), lower case, Chinese numerals before a measure
word → Arabic digits, and every term of the bank-domain synonym list (data/bank_synonyms.tsv, kept as data so
a bank can extend it) → the first term of its line. English synonyms map to the Chinese canonical term too,
which gives term features a bridge across languages for the listed terms.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

SYNONYMS_FILE = Path(__file__).with_name("data") / "bank_synonyms.tsv"

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
# A Chinese numeral counts as a number only before a measure word ("三个月", "两年", "第五条"), so words such
# as 一般, 统一 or 万一 stay as they are.
_MEASURE = "个月日号天周年季期条款项章节次人家名位户笔张元亿万千百米吨辆台套倍秒岁层届级座批股份只件页成"
_CN_NUMBER = re.compile(rf"[零〇一二两三四五六七八九十百千]+(?=[{_MEASURE}])")


def chinese_number(text: str) -> int | None:
    """"二十五" → 25, "一百零八" → 108, "三" → 3; None when it is not a plain numeral."""
    if not text:
        return None
    if all(c in _DIGITS for c in text):  # "二〇二五" written digit by digit
        return int("".join(str(_DIGITS[c]) for c in text))
    total, current = 0, 0
    for c in text:
        if c in _DIGITS:
            current = _DIGITS[c]
        elif c in _UNITS:
            total += (current or 1) * _UNITS[c]
            current = 0
        else:
            return None
    return total + current


def _arabic(match: re.Match) -> str:
    value = chinese_number(match.group())
    return match.group() if value is None else str(value)


@lru_cache(maxsize=4)
def load_synonyms(path: Path = SYNONYMS_FILE) -> dict[str, str]:
    """term → canonical term, from a tab-separated file (one group per line, canonical first; # comments)."""
    mapping: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        terms = [_fold(t) for t in line.split("\t") if t.strip()]
        for term in terms:  # the canonical term maps to itself: "贷款成数" is not "贷款" + "成数" → "贷款贷款成数"
            mapping.setdefault(term, terms[0])
    return mapping


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().strip()


class TermNormaliser:
    def __init__(self, synonyms: dict[str, str] | None = None):
        self.synonyms = load_synonyms() if synonyms is None else synonyms
        latin = [t for t in self.synonyms if t.isascii()]
        other = [t for t in self.synonyms if not t.isascii()]
        parts = [re.escape(t) for t in sorted(other, key=len, reverse=True)]
        # Latin terms only as whole words: "rate" in "rates" or "generate" is not "利率".
        parts += [rf"(?<![a-z]){re.escape(t)}s?(?![a-z])" for t in sorted(latin, key=len, reverse=True)]
        self._pattern = re.compile("|".join(parts)) if parts else None
        self._groups: dict[str, list[str]] | None = None  # canonical term → its line's terms (translations)

    def normalise(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text).lower()
        if self._pattern is not None:  # synonyms first: 第二套房 → 二套房, then both → 2套房
            text = self._pattern.sub(lambda m: self._canonical(m.group()), text)
        text = _CN_NUMBER.sub(_arabic, text)
        return re.sub(r"(?<![\d.])(\d{1,2})成(?![本员为功立交绩熟])",
                      lambda m: f"{int(m.group(1)) * 10}%" if int(m.group(1)) <= 10 else m.group(), text)  # 七成 = 70 %

    def translations(self, text: str) -> list[str]:
        """The synonym-list terms written in the other script (Latin vs CJK) of every listed term `text` holds:
        "密码被锁定" → ["password", "passcode", "locked", "lock"]; the words a lexical search needs to find the
        same thing in a document written in the other language."""
        if self._pattern is None:
            return []
        if self._groups is None:
            groups: dict[str, list[str]] = {}
            for term, canonical in self.synonyms.items():
                groups.setdefault(canonical, []).append(term)
            self._groups = groups
        found: list[str] = []
        for match in self._pattern.finditer(unicodedata.normalize("NFKC", text).lower()):
            term = match.group()
            latin = term.isascii()
            for other in self._groups.get(self._canonical(term), []):
                if other.isascii() != latin and other not in found:
                    found.append(other)
        return found

    def _canonical(self, term: str) -> str:
        found = self.synonyms.get(term)
        if found is None and term.endswith("s"):
            found = self.synonyms.get(term[:-1])
        return found if found is not None else term


@lru_cache(maxsize=1)
def default_normaliser() -> TermNormaliser:
    return TermNormaliser()
