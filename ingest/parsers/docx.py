"""DOCX parser: headings from paragraph styles/outline levels, paragraphs, lists and tables in order."""
from __future__ import annotations

import io
import re

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.oxml.text.parfmt import CT_PPr
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph

from zhiku.core.types import Block, BlockKind, ParsedDocument
from zhiku.ingest.parsers.csv_table import table_blocks
from zhiku.ingest.parsers.plain_text import HeadingStack, require_data, wrap_library_errors

# Built-in styles are stored with English names even in Chinese Word; WPS and some templates
# store the localized name ("标题 1") instead.
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = {"title", "标题"}
_LIST_STYLE = re.compile(r"^list|列表", re.IGNORECASE)
_BODY_OUTLINE_LEVEL = 9  # outlineLvl 0-8 are heading levels, 9 means body text
_MAX_STYLE_DEPTH = 10  # basedOn chains are short; the bound guards against cyclic styles in bad files


def parse(data: bytes, filename: str) -> ParsedDocument:
    require_data(data, "DOCX")
    with wrap_library_errors("DOCX"):
        document = docx.Document(io.BytesIO(data))
        blocks, title_paragraph = _body_blocks(document)
        properties = document.core_properties
        metadata = {
            "author": properties.author or "",
            "subject": properties.subject or "",
            "created": properties.created.isoformat() if properties.created else "",
        }
        title = (properties.title or "").strip() or title_paragraph
    return ParsedDocument(blocks=blocks, title=title, metadata={k: v for k, v in metadata.items() if v})


def _body_blocks(document: DocxDocument) -> tuple[list[Block], str | None]:
    """Blocks in document order, plus the text of the Title (or first level-1 heading) paragraph."""
    stack = HeadingStack()
    blocks: list[Block] = []
    title: str | None = None
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(table_blocks(_table_rows(item), stack))
            continue
        text = item.text.strip()
        if not text:
            continue
        level = _heading_level(item)
        if level is not None:
            blocks.append(stack.heading(" ".join(text.split()), level))
            if title is None and level == 1:
                title = blocks[-1].text
        else:
            blocks.append(stack.block(text, BlockKind.LIST_ITEM if _is_list(item) else BlockKind.PARAGRAPH))
    return blocks, title


def _heading_level(paragraph: Paragraph) -> int | None:
    own = _outline_level(paragraph._p.pPr)
    if own is not None:
        return own
    style: ParagraphStyle | None = paragraph.style
    for _ in range(_MAX_STYLE_DEPTH):
        if style is None:
            return None
        level = _style_name_level(style.name or "") or _outline_level(style.element.pPr)
        if level is not None:
            return level
        style = style.base_style
    return None


def _style_name_level(name: str) -> int | None:
    name = name.strip()
    if name.lower() in _TITLE_STYLES:
        return 1
    match = _HEADING_STYLE.match(name)
    return int(match.group(1)) if match else None


def _outline_level(ppr: CT_PPr | None) -> int | None:
    element = ppr.find(qn("w:outlineLvl")) if ppr is not None else None
    if element is None:
        return None
    value = element.get(qn("w:val"))
    if value is None or not value.isdigit() or int(value) >= _BODY_OUTLINE_LEVEL:
        return None
    return int(value) + 1


def _is_list(paragraph: Paragraph) -> bool:
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return True
    style = paragraph.style
    return style is not None and bool(_LIST_STYLE.search(style.name or ""))


def _table_rows(table: Table) -> list[list[str]]:
    """Grid-aligned cell texts; a horizontally merged cell keeps its text in its first column only.

    python-docx repeats a merged cell once per spanned grid column (and repeats a vertically merged
    cell in each row it spans, which is what we want: every row stays self-contained).
    """
    rows = []
    for index, row in enumerate(table.rows):
        cells: list[str] = [""] * row.grid_cols_before
        previous = None
        for cell in row.cells:
            repeated = cell._tc is previous and index > 0  # header names stay on every spanned column
            cells.append("" if repeated else cell.text)
            previous = cell._tc
        rows.append(cells)
    return rows
