"""Sentence boundaries for Chinese and Latin text, as character spans."""
from __future__ import annotations

import re

# A sentence ends at Chinese terminal punctuation (with any closing quotes/brackets after it), at Latin
# terminal punctuation followed by whitespace, or at a line break.
_BOUNDARY = re.compile(r"[。！？；!?;…]+[”’」』）)\]]*|(?<=[.])\s+|\n+")
_SOFT_BREAK = re.compile(r"[，,、：:\s]")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split text[start:end] into sentence spans (absolute offsets), whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        _append_trimmed(text, cursor, match.end(), spans)
        cursor = match.end()
    _append_trimmed(text, cursor, end, spans)
    return spans


def hard_split(text: str, start: int, end: int, max_len: int) -> list[tuple[int, int]]:
    """Split one over-long sentence into pieces of at most max_len, preferring a comma or space."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_len:
        window = text[start + max_len // 2:start + max_len]
        soft = [m.end() for m in _SOFT_BREAK.finditer(window)]
        cut = start + max_len // 2 + soft[-1] if soft else start + max_len
        pieces.append((start, cut))
        start = cut
    if end > start:
        pieces.append((start, end))
    return [(s, e) for s, e in (_trim(text, s, e) for s, e in pieces) if e > s]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    s, e = _trim(text, start, end)
    if e > s:
        spans.append((s, e))
