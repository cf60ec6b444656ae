"""What retrieval returns: a matched chunk, its context, every stage's score, and where it came from."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from zhiku.index.chunk_terms import StoredTerms


@dataclass(slots=True)
class Citation:
    kb_id: str
    document_id: str
    document_name: str
    page: int | None
    page_end: int | None
    heading_path: list[str]
    char_start: int
    char_end: int
    bbox: list[float] | None
    start_s: float | None = None  # time range in an audio or video recording, in seconds
    end_s: float | None = None

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> "Citation":
        return cls(p["kb_id"], p["document_id"], p.get("document_name", ""), p.get("page"), p.get("page_end"),
                   list(p.get("heading_path") or []), int(p.get("char_start", 0)), int(p.get("char_end", 0)),
                   p.get("bbox"), p.get("start_s"), p.get("end_s"))

    def label(self) -> str:
        """Human-readable location, e.g. "policy.docx · p.3 · 第三章 > 第十条"."""
        parts = [self.document_name]
        if self.page is not None:
            parts.append(f"p.{self.page}" if self.page_end in (None, self.page) else f"pp.{self.page}-{self.page_end}")
        if self.start_s is not None:
            parts.append(f"{_clock(self.start_s)}–{_clock(self.end_s if self.end_s is not None else self.start_s)}")
        if self.heading_path:
            parts.append(" > ".join(self.heading_path))
        return " · ".join(parts)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@dataclass(slots=True)
class StageScores:
    """None where the stage did not see the chunk (e.g. dense for a sparse-only candidate)."""

    sparse: float | None = None
    dense: float | None = None
    fused: float | None = None
    rerank: float | None = None
    graph: float | None = None  # path score of a chunk the knowledge graph led to


@dataclass(slots=True)
class SearchHit:
    chunk_id: str
    text: str
    parent_text: str | None
    score: float
    scores: StageScores
    citation: Citation
    payload: dict[str, Any] = field(repr=False, default_factory=dict)
    # The question's entities the knowledge graph reached this passage from (retrieval/graph_expansion.py): part of
    # what the passage is about for this question, though its text may not name them (a two-hop answer).
    reached_from: tuple[str, ...] = ()

    def stored_terms(self) -> StoredTerms | None:
        """The chunk's terms as the indexer kept them in the payload (None in stores written before)."""
        return StoredTerms.of(self.payload)

    def section_label(self) -> str:
        """What the passage's section is called: its file name (without the extension) and heading path."""
        return "\n".join([PurePath(self.citation.document_name).stem, *self.citation.heading_path])

    def about_text(self) -> str:
        """Everything that tells what the passage is about: its text, its parent section, its label and the
        question's entities the knowledge graph reached it from."""
        return "\n".join([self.text, self.parent_text or "", self.section_label(), *self.reached_from])

    def narrowed_to(self, spans: list[tuple[int, int]]) -> "SearchHit":
        """This hit citing only the given (start, end) parts of its text: in a recording, the citation's time range
        becomes theirs (the chunk's payload maps its text to times) and its character span theirs too. Unchanged
        for documents without times."""
        timed = [(s, e, start_s, end_s) for s, e, start_s, end_s in (self.payload.get("time_spans") or [])
                 if any(s < end and start < e for start, end in spans)]
        if not timed:
            return self
        first = self.citation.char_start
        char_start = min(max(first + min(start for start, _ in spans), first), self.citation.char_end)
        char_end = max(min(first + max(end for _, end in spans), self.citation.char_end), char_start)
        citation = replace(self.citation, start_s=min(t[2] for t in timed), end_s=max(t[3] for t in timed),
                           char_start=char_start, char_end=char_end)
        return replace(self, citation=citation)

    @classmethod
    def from_point(cls, point_id: str, payload: dict[str, Any], score: float = 0.0,
                   scores: StageScores | None = None) -> "SearchHit":
        """A hit built from a vector-store point's payload (the text, its section and its provenance)."""
        return cls(point_id, payload.get("text", ""), payload.get("parent_text"), score, scores or StageScores(),
                   Citation.from_payload(payload), payload)
