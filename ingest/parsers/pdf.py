"""PDF parser: the text layer page by page, headings inferred from font size and numbering."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import pymupdf

from core.errors import CorruptFile, EncryptedFile, NoTextFound
from core.types import Block, BlockKind, ParsedDocument
from ingest.parsers.plain_text import (
    HeadingStack,
    dense_levels,
    heading_rank,
    join_lines,
    require_data,
    starts_paragraph,
    strip_bullet,
    wrap_library_errors,
)

BBox = tuple[float, float, float, float]
HeadingKey = tuple[float, int]  # (-font size, numbering rank): sorts outermost first

# Images are never used and ligatures ("ﬁ") must be expanded for search to match.
_TEXT_FLAGS = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES & ~pymupdf.TEXT_PRESERVE_LIGATURES
_MARGIN_BAND = 0.12  # share of page height at top and bottom where running headers/footers live
_HEADING_SIZE_RATIO = 1.15
_MAX_SIZED_HEADING_CHARS = 80
_MIN_PAGE_BODY_CHARS = 100  # below this (e.g. a cover page) the page's own dominant size is meaningless
_UNNUMBERED_RANK = 99  # unnumbered headings sort after numbered ones of the same size
_CLAUSE_END = tuple("。！？；：:.!?;")
_LETTER = re.compile(r"[^\W\d_]")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:page\s*)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?(?:\s*[-–—])?$"
    r"|^第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Line:
    text: str
    size: float
    bbox: BBox
    block_no: int
    in_margin: bool


@dataclass(slots=True)
class _Piece:
    """Consecutive lines that become one block."""

    lines: list[_Line]
    kind: BlockKind
    page: int
    heading_key: HeadingKey | None = None


def parse(data: bytes, filename: str) -> ParsedDocument:
    require_data(data, "PDF")
    with wrap_library_errors("PDF"), _open(data, filename) as doc:
        pages = [_page_lines(page) for page in doc]
        metadata = {key: value.strip() for key, value in (doc.metadata or {}).items() if isinstance(value, str)}
    if not any(pages):
        raise NoTextFound(
            f"'{filename}' has no text layer: it looks like a scanned PDF, so OCR is needed. "
            "Run it through OCR (or export a text PDF) and upload again."
        )
    document_size = _dominant_size([line for lines in pages for line in lines])
    pages = _drop_page_furniture(pages, document_size)
    pieces = [
        piece for number, lines in enumerate(pages, start=1) for piece in _page_pieces(lines, number, document_size)
    ]
    blocks = _blocks(pieces)
    first_heading = next((b.text for b in blocks if b.kind is BlockKind.HEADING), None)
    return ParsedDocument(
        blocks=blocks,
        title=metadata.get("title") or first_heading,
        page_count=len(pages),
        metadata={k: metadata[k] for k in ("author", "subject", "keywords", "creationDate") if metadata.get(k)},
    )


def _open(data: bytes, filename: str) -> pymupdf.Document:
    doc = pymupdf.open(stream=data, filetype="pdf")
    if doc.needs_pass:
        doc.close()
        raise EncryptedFile(f"'{filename}' is password-protected; remove the password and upload again.")
    if doc.page_count == 0:
        doc.close()
        raise CorruptFile(f"'{filename}' has no pages: the file may be damaged or not really a PDF.")
    return doc


def _page_lines(page: pymupdf.Page) -> list[_Line]:
    top, height = page.rect.y0, page.rect.height
    lines = []
    for block in page.get_text("dict", flags=_TEXT_FLAGS)["blocks"]:
        for line in block.get("lines", ()):
            text = " ".join("".join(span["text"] for span in line["spans"]).split())
            if not text:
                continue
            bbox: BBox = tuple(line["bbox"])  # type: ignore[assignment]
            middle = ((bbox[1] + bbox[3]) / 2 - top) / height
            lines.append(
                _Line(
                    text=text,
                    size=_dominant_span_size(line["spans"]),
                    bbox=bbox,
                    block_no=block["number"],
                    in_margin=not _MARGIN_BAND <= middle <= 1 - _MARGIN_BAND,
                )
            )
    return lines


def _dominant_span_size(spans: list[dict]) -> float:
    return max(spans, key=lambda span: len(span["text"].strip()))["size"]


def _furniture_key(text: str) -> str:
    """Running headers/footers differ only in their numbers ("Page 3 of 9"), so numbers are masked."""
    return re.sub(r"\d+", "#", "".join(text.split()))


def _drop_page_furniture(pages: list[list[_Line]], document_size: float) -> list[list[_Line]]:
    """Remove running headers/footers (margin text repeated on most pages) and bare page numbers.

    Only small margin lines qualify: a heading opening each page ("Chapter 3 …") is also near the top
    and, with its number masked, can repeat.
    """

    def candidate(line: _Line) -> bool:
        return line.in_margin and line.size < document_size * _HEADING_SIZE_RATIO

    repeated: set[str] = set()
    if len(pages) > 1:
        per_page = [{_furniture_key(line.text) for line in lines if candidate(line)} for lines in pages]
        counts = Counter(key for keys in per_page for key in keys)
        repeated = {key for key, count in counts.items() if count * 2 > len(pages)}

    def furniture(line: _Line) -> bool:
        return candidate(line) and (_furniture_key(line.text) in repeated or bool(_PAGE_NUMBER.match(line.text)))

    return [[line for line in lines if not furniture(line)] for lines in pages]


def _dominant_size(lines: list[_Line]) -> float:
    weights: Counter[float] = Counter()
    for line in lines:
        weights[round(line.size, 1)] += len(line.text)
    dominant = weights.most_common(1)
    return dominant[0][0] if dominant else 0.0


def _page_pieces(lines: list[_Line], page: int, document_size: float) -> list[_Piece]:
    if not lines:
        return []
    enough_text = sum(len(line.text) for line in lines) >= _MIN_PAGE_BODY_CHARS
    body_size = _dominant_size(lines) if enough_text else document_size
    pieces: list[_Piece] = []
    for line in lines:
        # Only a piece from the same PDF text block may be continued by this line.
        current = pieces[-1] if pieces and pieces[-1].lines[-1].block_no == line.block_no else None
        at_start = current is None or current.heading_key is not None or current.lines[-1].text.endswith(_CLAUSE_END)
        key = _heading_key(line, body_size, at_start)
        if key is not None:
            if current is not None and _continues_heading(current, line):
                current.lines.append(line)
            else:
                pieces.append(_Piece([line], BlockKind.HEADING, page, key))
        elif strip_bullet(line.text) is not None:
            pieces.append(_Piece([line], BlockKind.LIST_ITEM, page))
        elif current is not None and current.heading_key is None and not (at_start and starts_paragraph(line.text)):
            current.lines.append(line)
        else:
            pieces.append(_Piece([line], BlockKind.PARAGRAPH, page))
    return pieces


def _heading_key(line: _Line, body_size: float, at_paragraph_start: bool) -> HeadingKey | None:
    if not _LETTER.search(line.text):
        return None
    size = round(line.size * 2) / 2
    rank = heading_rank(line.text)
    if line.size >= body_size * _HEADING_SIZE_RATIO and len(line.text) <= _MAX_SIZED_HEADING_CHARS:
        return (-size, _UNNUMBERED_RANK if rank is None else rank)
    # Body-size numbered lines count only at a paragraph start: a wrapped line may begin "第二章" by chance.
    if rank is not None and at_paragraph_start:
        return (-size, rank)
    return None


def _continues_heading(current: _Piece, line: _Line) -> bool:
    """A heading wrapped over several lines: same block and size, and no new numbering."""
    return (
        current.heading_key is not None
        and current.lines[0].size == line.size
        and heading_rank(line.text) is None
    )


def _blocks(pieces: list[_Piece]) -> list[Block]:
    levels = dense_levels(piece.heading_key for piece in pieces if piece.heading_key is not None)
    stack = HeadingStack()
    blocks = []
    for piece in pieces:
        texts = [line.text for line in piece.lines]
        if piece.kind is BlockKind.LIST_ITEM:
            texts[0] = strip_bullet(texts[0]) or ""
        text, bbox = join_lines(texts), _union(line.bbox for line in piece.lines)
        if piece.heading_key is not None:
            blocks.append(stack.heading(text, levels[piece.heading_key], page=piece.page, bbox=bbox))
        else:
            blocks.append(stack.block(text, piece.kind, page=piece.page, bbox=bbox))
    return blocks


def _union(boxes: Iterable[BBox]) -> BBox:
    x0s, y0s, x1s, y1s = zip(*boxes, strict=True)
    return (min(x0s), min(y0s), max(x1s), max(y1s))
