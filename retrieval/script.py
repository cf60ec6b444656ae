"""Which writing system a text is mostly in: lexical matching only works within one.

An English question about a Chinese policy shares no terms with it, so BM25 and the second stage's
term features are blind there, not negative. Retrieval uses this to let dense evidence stand in for
lexical evidence on such pairs (docs/architecture.md, "Cross-language queries").
"""
from __future__ import annotations


def majority_script(text: str) -> str:
    """'cjk', 'latin' or 'other' by letter count (digits and punctuation are script-neutral)."""
    cjk = latin = other = 0
    for ch in text:
        if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
            cjk += 1
        elif ch.isascii() and ch.isalpha() or "\u00c0" <= ch <= "\u024f":
            latin += 1
        elif ch.isalpha():
            other += 1
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
