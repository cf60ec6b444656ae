"""PPTX parser: one page per slide; the slide title heads its text, tables and speaker notes."""
from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

import pptx
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.oxml.ns import qn
from pptx.shapes.base import BaseShape
from pptx.shapes.group import GroupShape
from pptx.slide import Slide
from pptx.table import Table
from pptx.text.text import _Paragraph

from zhiku.core.types import Block, BlockKind, ParsedDocument
from zhiku.ingest.parse_limits import DEFAULT_LIMITS, ParseLimits, check_count
from zhiku.ingest.parsers.csv_table import table_blocks
from zhiku.ingest.parsers.plain_text import HeadingStack, require_data, wrap_library_errors

NOTES_HEADING = "Notes"
# Body/object placeholders inherit bullets from the slide master, so their paragraphs are list items.
_BULLETED_PLACEHOLDERS = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT}


def parse(data: bytes, filename: str, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    require_data(data, "PPTX")
    with wrap_library_errors("PPTX"):
        presentation = pptx.Presentation(io.BytesIO(data))
        check_count(filename, len(presentation.slides), limits.max_pages, "slides", "ZHIKU_MAX_DOCUMENT_PAGES")
        slides = list(presentation.slides)
        blocks = [block for number, slide in enumerate(slides, start=1) for block in _slide_blocks(slide, number)]
        properties = presentation.core_properties
        title = (properties.title or "").strip() or _first_title(slides)
        metadata = {"author": properties.author or "", "subject": properties.subject or ""}
    return ParsedDocument(
        blocks=blocks,
        title=title,
        page_count=len(slides),
        metadata={key: value for key, value in metadata.items() if value},
    )


def _first_title(slides: list[Slide]) -> str | None:
    return next((title for slide in slides if (title := _title_text(slide))), None)


def _title_text(slide: Slide) -> str:
    shape = slide.shapes.title
    return " ".join(_clean(shape.text_frame.text).split()) if shape is not None and shape.has_text_frame else ""


def _clean(text: str) -> str:
    """python-pptx reports a soft line break (<a:br>) as a vertical tab; make it a real newline."""
    return text.replace("\v", "\n")


def _slide_blocks(slide: Slide, number: int) -> list[Block]:
    stack = HeadingStack()
    title = _title_text(slide)
    blocks = [stack.heading(title, 1, page=number)] if title else []
    title_id = slide.shapes.title.shape_id if slide.shapes.title is not None else None
    for shape in _reading_order(slide.shapes):
        if shape.shape_id == title_id:
            continue
        if shape.has_table:
            blocks.extend(table_blocks(_table_rows(shape.table), stack, page=number))  # type: ignore[attr-defined]
        elif shape.has_text_frame:
            blocks.extend(_text_blocks(shape, stack, number))
    notes = _notes_text(slide)
    if notes:
        blocks.append(Block(notes, page=number, heading_path=[*stack.path, NOTES_HEADING]))
    return blocks


def _reading_order(shapes: Iterable[BaseShape]) -> Iterator[BaseShape]:
    """Shapes are stored in z-order; read them top-to-bottom, left-to-right, flattening groups."""
    for shape in sorted(shapes, key=lambda s: (s.top or 0, s.left or 0)):
        if isinstance(shape, GroupShape):
            yield from _reading_order(shape.shapes)
        else:
            yield shape


def _text_blocks(shape: BaseShape, stack: HeadingStack, page: int) -> list[Block]:
    in_bulleted_placeholder = shape.is_placeholder and shape.placeholder_format.type in _BULLETED_PLACEHOLDERS
    blocks = []
    for paragraph in shape.text_frame.paragraphs:  # type: ignore[attr-defined]
        text = _clean(paragraph.text).strip()
        if text:
            kind = BlockKind.LIST_ITEM if _is_bulleted(paragraph, in_bulleted_placeholder) else BlockKind.PARAGRAPH
            blocks.append(stack.block(text, kind, page=page))
    return blocks


def _is_bulleted(paragraph: _Paragraph, default: bool) -> bool:
    ppr = paragraph._p.pPr
    if ppr is None:
        return default
    if ppr.find(qn("a:buNone")) is not None:
        return False
    return default or ppr.find(qn("a:buChar")) is not None or ppr.find(qn("a:buAutoNum")) is not None


def _table_rows(table: Table) -> list[list[str]]:
    """Like the DOCX rows: a vertically merged cell repeats in each row it spans (rows stay
    self-contained), a horizontally merged one appears once (header names stay on every column)."""
    rows = [[_clean(cell.text) for cell in row.cells] for row in table.rows]
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            if cell.is_merge_origin:
                for dr in range(cell.span_height):
                    for dc in range(cell.span_width):
                        rows[r + dr][c + dc] = "" if dc > 0 and r + dr > 0 else rows[r][c]
    return rows


def _notes_text(slide: Slide) -> str:
    if not slide.has_notes_slide:
        return ""
    frame = slide.notes_slide.notes_text_frame
    return _clean(frame.text).strip() if frame is not None else ""
