"""HTML parser: page chrome removed, headings h1-h6, block elements as paragraphs, tables as rows."""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from zhiku.core.types import Block, BlockKind, ParsedDocument
from zhiku.ingest.parsers.csv_table import table_blocks
from zhiku.ingest.parsers.plain_text import HeadingStack, decode_text, is_cjk, require_data, wrap_library_errors

_DROPPED_TAGS = ["script", "style", "nav", "noscript", "template", "header", "footer"]
# <header>/<footer> inside an article hold its title and byline, not site chrome.
_CONTENT_CONTAINERS = ["article", "main"]
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "form", "hr", "li", "main", "ol", "p", "section", "summary", "ul",
}  # fmt: skip
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
_CHARSET_SNIFF_BYTES = 4096
# Pages labelled GB2312/GBK routinely contain characters only GB18030 (their superset) decodes.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030"}
_WHITESPACE = re.compile(r"\s+")


def parse(data: bytes, filename: str) -> ParsedDocument:
    require_data(data, "HTML")
    return parse_html_text(_decode(data))


def parse_html_text(text: str) -> ParsedDocument:
    """Structure already-decoded HTML (also used for e-mail bodies)."""
    with wrap_library_errors("HTML"):
        soup = BeautifulSoup(text, "lxml")
        title = collapse_whitespace(soup.title.get_text()) if soup.title else ""
        _drop_chrome(soup)
        walker = _Walker()
        walker.walk(soup.body or soup, BlockKind.PARAGRAPH)
        walker.flush(BlockKind.PARAGRAPH)
    return ParsedDocument(blocks=walker.blocks, title=title or None)


def _decode(data: bytes) -> str:
    declared = _CHARSET.search(data[:_CHARSET_SNIFF_BYTES])
    if declared:
        name = declared.group(1).decode("ascii", errors="ignore").lower()
        try:
            return data.decode(_CHARSET_ALIASES.get(name, name)).replace("\r\n", "\n")
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown label: fall back to guessing like plain text does
    return decode_text(data)


def _drop_chrome(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(_DROPPED_TAGS):
        if tag.decomposed:  # already removed together with a dropped ancestor
            continue
        if tag.name in ("header", "footer") and tag.find_parent(_CONTENT_CONTAINERS):
            continue
        tag.decompose()


def collapse_whitespace(text: str) -> str:
    """HTML whitespace rules: runs collapse to one space, but a line break between two CJK
    characters disappears (Chinese source is wrapped anywhere, without spaces)."""

    def replace(match: re.Match[str]) -> str:
        before, after = text[match.start() - 1 : match.start()], text[match.end() : match.end() + 1]
        return "" if "\n" in match.group() and is_cjk(before) and is_cjk(after) else " "

    return _WHITESPACE.sub(replace, text).strip()


class _Walker:
    """Depth-first walk collecting inline text until a block boundary, then emitting one block."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._stack = HeadingStack()
        self._lines: list[list[str]] = [[]]  # <br> starts a new line

    def walk(self, node: Tag, kind: BlockKind) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                    self._lines[-1].append(str(child))
            elif isinstance(child, Tag):
                self._element(child, kind)

    def flush(self, kind: BlockKind) -> None:
        lines = [collapse_whitespace("".join(parts)) for parts in self._lines]
        text = "\n".join(line for line in lines if line)
        self._lines = [[]]
        if text:
            self.blocks.append(self._stack.block(text, kind))

    def _element(self, tag: Tag, kind: BlockKind) -> None:
        name = tag.name
        if name == "br":
            self._lines.append([])
        elif name in _HEADINGS:
            self.flush(kind)
            text = collapse_whitespace(tag.get_text())
            if text:
                self.blocks.append(self._stack.heading(text, _HEADINGS[name]))
        elif name == "table":
            self.flush(kind)
            self.blocks.extend(table_blocks(_table_rows(tag), self._stack))
        elif name == "pre":
            self.flush(kind)
            code = tag.get_text().strip("\n")
            if code.strip():
                self.blocks.append(self._stack.block(code, BlockKind.CODE))
        elif name == "li":
            self.flush(kind)
            self.walk(tag, BlockKind.LIST_ITEM)
            self.flush(BlockKind.LIST_ITEM)
        elif name in _BLOCK_TAGS:
            self.flush(kind)
            self.walk(tag, kind)
            self.flush(kind)
        else:
            self.walk(tag, kind)


def _table_rows(table: Tag) -> list[list[str]]:
    """Rows of this table only (not of nested tables); colspan repeats a header name across its
    columns but puts a data value in its first column only."""
    rows: list[list[str]] = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        cells: list[str] = []
        for cell in tr.find_all(["td", "th"], recursive=False):
            text = _cell_text(cell)
            span = _colspan(cell)
            cells.extend([text] * span if not rows else [text] + [""] * (span - 1))
        rows.append(cells)
    return rows


def _colspan(cell: Tag) -> int:
    value = str(cell.get("colspan") or "1")
    return max(1, min(int(value), 100)) if value.isdigit() else 1


def _cell_text(cell: Tag) -> str:
    """Cell text with block-level children (<p>, <div>, <br>) separated by a space."""
    parts = []
    for node in cell.descendants:
        if isinstance(node, Tag) and (node.name in _BLOCK_TAGS or node.name == "br"):
            parts.append(" ")
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            parts.append(str(node))
    return collapse_whitespace("".join(parts))
