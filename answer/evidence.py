"""Numbered evidence: the passages an answer may cite, [1]..[n], each traceable to its citation."""
from __future__ import annotations

import re
from dataclasses import dataclass

from zhiku.retrieval.search_hit import SearchHit


@dataclass(slots=True)
class Evidence:
    number: int  # 1-based, as cited in the answer: [number]
    text: str    # what the model reads: the matched chunk, widened with its section
    hit: SearchHit


def number_evidence(hits: list[SearchHit], limit: int, max_chars: int) -> list[Evidence]:
    return [Evidence(i + 1, passage_text(hit, max_chars), hit) for i, hit in enumerate(hits[:limit])]


def passage_text(hit: SearchHit, max_chars: int) -> str:
    """The chunk, with as much of its parent section around it as fits in max_chars."""
    text = hit.text.strip()
    parent = (hit.parent_text or "").strip()
    if len(text) >= max_chars or not parent or len(parent) <= len(text):
        return text[:max_chars]
    if len(parent) <= max_chars:
        return parent
    at = parent.find(text[:40])
    if at < 0:
        return text[:max_chars]
    spare = max_chars - len(text)
    start = max(0, at - spare // 2)
    end = min(len(parent), start + max_chars)
    start = max(0, end - max_chars)
    return parent[start:end]


def format_evidence(evidence: list[Evidence]) -> str:
    """The passages as the LLM reads them: each under its header `[n] (source)`, separated by a blank line. A line
    of a passage that begins like a header ("[2] …") gets full-width brackets, so a passage cannot start a passage
    of its own. Stronger marking — tags, triple quotes, closing markers, "> "-quoted lines, a "data only" label —
    made the 0.5B local model answer "not found" to answerable questions (docs/security.md)."""
    blocks = []
    for item in evidence:
        source = item.hit.citation.label()
        text = _HEADER_LIKE.sub(lambda m: f"{m.group(1)}［{m.group(2)}］", item.text)
        blocks.append(f"[{item.number}] ({source})\n{text}")
    return "\n\n".join(blocks)


_HEADER_LIKE = re.compile(r"^(\s*)\[(\d+)\]", re.MULTILINE)
