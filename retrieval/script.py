"""Which writing system a text is mostly in: lexical matching only works within one.

An English question about a Chinese policy shares no terms with it, so BM25 and the second stage's
term features are blind there, not negative. Retrieval uses this to let dense evidence stand in for
lexical evidence on such pairs (docs/architecture.md, "Cross-language queries").
"""
from __future__ import annotations

import re


_NOT_CJK = re.compile("[^\u3400-\u9fff\uf900-\ufaff]+")
_NOT_LATIN = re.compile("[^A-Za-z\u00c0-\u024f]+")
_OTHER = re.compile("[^\x00-\x7f\u00c0-\u024f\u3400-\u9fff\uf900-\ufaff]")  # may be letters of another script


def majority_script(text: str) -> str:
    """'cjk', 'latin' or 'other' by letter count (digits and punctuation are script-neutral). Retrieval asks this
    of every fused candidate, and a Python loop over every character was 15% of a search (docs/profiles/README.md): the
    counts are made by regular expressions, and a script holding more than half the characters wins at once."""
    cjk = len(_NOT_CJK.sub("", text))
    if 2 * cjk > len(text):
        return "cjk"
    latin = len(_NOT_LATIN.sub("", text))
    if 2 * latin > len(text):
        return "latin"
    other = sum(1 for ch in _OTHER.findall(text) if ch.isalpha())
    if not (cjk or latin or other):
        return "other"
    return max((cjk, "cjk"), (latin, "latin"), (other, "other"))[1]


def lexically_comparable(query_script: str, passage_text: str) -> bool:
    return query_script == majority_script(passage_text)


def majority_script_by_words(text: str) -> str:
    """'cjk' or 'latin' by units a reader would count: each CJK character and each run of Latin letters (a word)
    is one. "El Torito由谁主导设计？" is a Chinese question naming something in Latin letters (2 words, 6
    characters), not an English one, as counting letters (8 against 6) would have it. 'other' without either."""
    cjk = latin = 0
    in_word = False
    for ch in text:
        if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
            cjk += 1
            in_word = False
        elif ch.isascii() and ch.isalpha() or "\u00c0" <= ch <= "\u024f":
            if not in_word:
                latin += 1
            in_word = True
        else:
            in_word = False
    if not (cjk or latin):
        return "other"
    return "cjk" if cjk >= latin else "latin"
