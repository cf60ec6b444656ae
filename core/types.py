"""Shared data shapes that flow between the stages: parsed blocks, chunks, search hits."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

BBox = tuple[float, float, float, float]  # x0, y0, x1, y1 (top-left origin)


class BlockKind(str, Enum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    TABLE_ROW = "table_row"  # one row of a table, rendered as "col: value | col: value"; never split
    LIST_ITEM = "list_item"
    CODE = "code"


@dataclass(slots=True)
class Block:
    """One structural unit of a parsed document, in reading order.

    `heading_path` is the chain of enclosing headings (outermost first); for a HEADING block it is the
    path of its parents, and `level` is its own depth (1 = top). `page` is 1-based where the format has
    pages (PDF pages, PPTX slides, XLSX sheets use `sheet` in `heading_path` instead and page None;
    images number their frames as pages). `bbox` is in PDF points for PDF pages and in pixels of the
    image or video frame otherwise. `start_s`/`end_s` place speech and on-screen text of audio and video
    on the recording's timeline, in seconds.
    """

    text: str
    kind: BlockKind = BlockKind.PARAGRAPH
    page: int | None = None
    heading_path: list[str] = field(default_factory=list)
    level: int = 0
    bbox: BBox | None = None  # when known
    start_s: float | None = None
    end_s: float | None = None


@dataclass(slots=True)
class ParsedDocument:
    blocks: list[Block]
    title: str | None = None
    page_count: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def text_length(self) -> int:
        return sum(len(b.text) for b in self.blocks)


@dataclass(slots=True)
class Chunk:
    """A unit of retrieval. Children are embedded and matched; their parent is returned as context.

    `char_start`/`char_end` index into the document's canonical text: the blocks' texts joined by
    "\n" in reading order (see ingest.chunker.canonical_text).
    """

    chunk_id: str
    text: str
    index: int
    page: int | None
    page_end: int | None
    heading_path: list[str]
    char_start: int
    char_end: int
    parent_id: str | None = None
    parent_text: str | None = None
    bbox: BBox | None = None
    start_s: float | None = None
    end_s: float | None = None
    # Where each part of `text` was said in a recording: (start, end) offsets into `text`, (start_s, end_s)
    # seconds; empty for documents without times. A citation of one sentence carries that sentence's range.
    time_spans: list[tuple[int, int, float, float]] = field(default_factory=list)
    # Why the guardrails distrust this chunk (e.g. an instruction aimed at the model); empty when they do not.
    guardrail_flags: list[str] = field(default_factory=list)

    @property
    def embedding_text(self) -> str:
        """What the models see: the heading path gives a child chunk the context its text lacks."""
        if self.heading_path:
            return " > ".join(self.heading_path) + "\n" + self.text
        return self.text
