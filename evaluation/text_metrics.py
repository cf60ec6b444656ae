"""Text-recognition metrics (OCR now, speech later): character and word error rates, bag-of-tokens F1.

Reference texts of the OCR sets come from PDF text layers, whose whitespace and reading order differ from
any OCR output; so the character error rate ignores whitespace, and the F1 scores compare bags (multisets)
of words or CJK characters, which no reordering can change.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_WHITESPACE = re.compile(r"\s+")
# CJK ideographs (unified, extension A, compatibility): punctuation is left out on purpose, because full- and
# half-width forms of the same mark would otherwise count as errors.
CJK_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class BagScore:
    precision: float
    recall: float
    f1: float


# -- edit distance -------------------------------------------------------------------------------------


def edit_distance(hyp: Sequence, ref: Sequence) -> int:
    """Levenshtein distance (unit-cost insert, delete, substitute) between two sequences of hashable items.

    One numpy pass per hypothesis item: the diagonal and upper neighbours are vectorised, and the left
    neighbour's chain (d[j] = min_k t[k] + j - k) is a running minimum, so a 4k × 4k page takes ~0.1 s.
    """
    if len(hyp) == 0 or len(ref) == 0:
        return max(len(hyp), len(ref))
    hyp_ids, ref_ids = _as_ids(hyp, ref)
    columns = np.arange(len(ref_ids) + 1, dtype=np.int64)
    previous = columns.copy()
    for i, item in enumerate(hyp_ids, start=1):
        substitution = previous[:-1] + (ref_ids != item)
        best = np.empty_like(previous)
        best[0] = i
        best[1:] = np.minimum(previous[1:] + 1, substitution)
        previous = np.minimum.accumulate(best - columns) + columns
    return int(previous[-1])


def _as_ids(hyp: Sequence, ref: Sequence) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(hyp, str) and isinstance(ref, str):
        return (np.frombuffer(hyp.encode("utf-32-le"), dtype=np.uint32),
                np.frombuffer(ref.encode("utf-32-le"), dtype=np.uint32))
    vocabulary: dict = {}
    hyp_ids = np.array([vocabulary.setdefault(item, len(vocabulary)) for item in hyp], dtype=np.int64)
    ref_ids = np.array([vocabulary.setdefault(item, len(vocabulary)) for item in ref], dtype=np.int64)
    return hyp_ids, ref_ids


# -- error rates ---------------------------------------------------------------------------------------


def strip_whitespace(text: str) -> str:
    return _WHITESPACE.sub("", text)


def character_error_rate(hyp: str, ref: str) -> float:
    """Edit distance over characters with all whitespace removed, divided by the reference length.

    Can exceed 1 when the hypothesis is much longer than the reference; an empty reference gives 0 for an
    empty hypothesis and 1 otherwise.
    """
    hyp_chars, ref_chars = strip_whitespace(hyp), strip_whitespace(ref)
    if not ref_chars:
        return 0.0 if not hyp_chars else 1.0
    return edit_distance(hyp_chars, ref_chars) / len(ref_chars)


def word_error_rate(hyp: str, ref: str) -> float:
    """Edit distance over words (lower-cased, punctuation stripped, see `words`) over the reference length."""
    hyp_words, ref_words = words(hyp), words(ref)
    if not ref_words:
        return 0.0 if not hyp_words else 1.0
    return edit_distance(hyp_words, ref_words) / len(ref_words)


# -- bag-of-tokens F1 ----------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Whitespace-separated tokens, lower-cased, with punctuation and symbols stripped from both ends.

    Inner punctuation stays ("1,234.5", "e-mail"), so numbers keep their meaning; tokens that are only
    punctuation disappear.
    """
    tokens = (_strip_punctuation(token) for token in text.lower().split())
    return [token for token in tokens if token]


def _strip_punctuation(token: str) -> str:
    start, end = 0, len(token)
    while start < end and _is_punctuation(token[start]):
        start += 1
    while end > start and _is_punctuation(token[end - 1]):
        end -= 1
    return token[start:end]


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def cjk_characters(text: str) -> list[str]:
    return CJK_IDEOGRAPH.findall(text)


def bag_f1(hyp_tokens: Sequence[str], ref_tokens: Sequence[str]) -> BagScore:
    """Multiset precision, recall and F1: a token seen twice in the reference must be found twice."""
    if not hyp_tokens and not ref_tokens:
        return BagScore(1.0, 1.0, 1.0)
    matched = sum((Counter(hyp_tokens) & Counter(ref_tokens)).values())
    precision = matched / len(hyp_tokens) if hyp_tokens else 0.0
    recall = matched / len(ref_tokens) if ref_tokens else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return BagScore(precision, recall, f1)


def word_f1(hyp: str, ref: str) -> float:
    return bag_f1(words(hyp), words(ref)).f1


def cjk_char_f1(hyp: str, ref: str) -> float:
    return bag_f1(cjk_characters(hyp), cjk_characters(ref)).f1


# -- English number words ------------------------------------------------------------------------------

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000}
# Which kind of number word may follow which inside one number: "twenty one" is 21, but "one two" is two
# numbers (a digit-by-digit reading) and "twenty thirty" too.
_MAY_FOLLOW = {
    "unit": {"hundred", "scale"},
    "teen": {"hundred", "scale"},
    "tens": {"unit", "scale"},
    "hundred": {"unit", "teen", "tens", "scale"},
    "scale": {"unit", "teen", "tens"},
}
_WORD_OR_GAP = re.compile(r"[A-Za-z]+|[^A-Za-z]+")


def _number_kind(word: str) -> str | None:
    if word in _UNITS:
        return "unit"
    if word in _TEENS:
        return "teen"
    if word in _TENS:
        return "tens"
    if word == "hundred":
        return "hundred"
    if word in _SCALES:
        return "scale"
    return None


class _NumberBuilder:
    """Accumulates number words ("two thousand three hundred and five") into one integer."""

    def __init__(self) -> None:
        self.total = 0
        self.current = 0
        self.last_kind: str | None = None
        self.last_scale = 10 ** 18

    def accepts(self, kind: str, word: str) -> bool:
        if self.last_kind is None:
            return True
        if self.last_kind == "unit" and self.current == 0 and self.total == 0:
            return False  # "zero" starts no compound number
        if kind == "scale" and _SCALES[word] >= self.last_scale:
            return False
        return kind in _MAY_FOLLOW[self.last_kind]

    def add(self, kind: str, word: str) -> None:
        if kind == "unit":
            self.current += _UNITS[word]
        elif kind == "teen":
            self.current += _TEENS[word]
        elif kind == "tens":
            self.current += _TENS[word]
        elif kind == "hundred":
            self.current = (self.current or 1) * 100
        else:
            self.total += (self.current or 1) * _SCALES[word]
            self.current = 0
            self.last_scale = _SCALES[word]
        self.last_kind = kind

    @property
    def value(self) -> int:
        return self.total + self.current


def normalize_numbers_en(text: str) -> str:
    """Spelled-out English numbers become digits: "twenty-one" → "21", "one hundred and five" → "105".

    Digit-by-digit readings stay separate numbers ("one two three" → "1 2 3"); "and" belongs to a number
    only between a hundred/thousand and what follows it. Other text, including case, is left as it is.
    """
    pieces = _WORD_OR_GAP.findall(text)
    out: list[str] = []
    i = 0
    while i < len(pieces):
        kind = _number_kind(pieces[i].lower())
        if kind is None:
            out.append(pieces[i])
            i += 1
            continue
        builder = _NumberBuilder()
        builder.add(kind, pieces[i].lower())
        end = i + 1  # one past the last piece that belongs to the number
        j = i + 1
        while j + 1 < len(pieces) and pieces[j].strip() in ("", "-"):
            candidate = pieces[j + 1].lower()
            next_word = j + 1
            if candidate == "and" and builder.last_kind in ("hundred", "scale") and j + 3 < len(pieces) \
                    and pieces[j + 2].strip() == "":
                next_word = j + 3
                candidate = pieces[next_word].lower()
                if _number_kind(candidate) not in ("unit", "teen", "tens"):
                    break
            next_kind = _number_kind(candidate)
            if next_kind is None or not builder.accepts(next_kind, candidate):
                break
            builder.add(next_kind, candidate)
            end = next_word + 1
            j = next_word + 1
        out.append(str(builder.value))
        i = end
    return "".join(out)
