"""Numbered evidence: the passages an answer may cite, [1]..[n], each traceable to its citation."""
from __future__ import annotations

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
    blocks = []
    for item in evidence:
        source = item.hit.citation.label()
        blocks.append(f"[{item.number}] ({source})\n{item.text}")
    return "\n\n".join(blocks)
