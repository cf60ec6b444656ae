"""Markdown parser: a small line-based reader for the constructs knowledge-base documents use
(ATX/setext headings, paragraphs, lists, fenced code, pipe tables); inline markup is stripped."""
from __future__ import annotations

import re

from zhiku.core.types import Block, BlockKind, ParsedDocument
from zhiku.ingest.parsers.csv_table import table_blocks
from zhiku.ingest.parsers.plain_text import HeadingStack, decode_text, join_lines, require_data

_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n.*?\n(?:\1|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)$")
_BLOCKQUOTE = re.compile(r"^ {0,3}>[ \t]?")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_INLINE_MARKUP: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # image -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # link -> its text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference link -> its text
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"\*(?![\s*])(.+?)(?<![\s*])\*"), r"\1"),  # "*" emphasis works inside CJK words too
    (re.compile(r"~~(.+?)~~"), r"\1"),
)


def parse(data: bytes, filename: str) -> ParsedDocument:
    require_data(data, "Markdown")
    text = _FRONT_MATTER.sub("", decode_text(data), count=1)
    blocks = _Reader(text.split("\n")).read()
    title = next((b.text for b in blocks if b.kind is BlockKind.HEADING and b.level == 1), None)
    return ParsedDocument(blocks=blocks, title=title)


def _strip_inline_markup(text: str) -> str:
    for pattern, replacement in _INLINE_MARKUP:
        text = pattern.sub(replacement, text)
    return text.strip()


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._stack = HeadingStack()
        self._blocks: list[Block] = []
        self._pending: list[str] = []  # lines of the paragraph or list item being read
        self._pending_kind = BlockKind.PARAGRAPH

    def read(self) -> list[Block]:
        index = 0
        while index < len(self._lines):
            index = self._step(index)
        self._flush()
        return self._blocks

    def _step(self, index: int) -> int:
        """Consume the construct starting at `index`; return the index after it."""
        line = self._lines[index]
        if fence := _FENCE.match(line):
            self._flush()
            return self._read_fence(index, fence.group(1))
        if not line.strip() or (_THEMATIC_BREAK.match(line) and not self._is_setext(line)):
            self._flush()
        elif heading := _ATX_HEADING.match(line):
            self._flush()
            self._add_heading(heading.group(2) or "", len(heading.group(1)))
        elif self._is_setext(line):
            text, self._pending = join_lines(self._pending), []
            self._add_heading(text, 1 if line.strip().startswith("=") else 2)
        elif self._starts_table(index):
            self._flush()
            return self._read_table(index)
        elif item := _LIST_ITEM.match(line):
            self._flush()
            self._pending, self._pending_kind = [item.group(1)], BlockKind.LIST_ITEM
        else:
            self._pending.append(_BLOCKQUOTE.sub("", line))
        return index + 1

    def _is_setext(self, line: str) -> bool:
        return bool(self._pending) and self._pending_kind is BlockKind.PARAGRAPH and bool(_SETEXT_UNDERLINE.match(line))

    def _starts_table(self, index: int) -> bool:
        if self._pending or "|" not in self._lines[index] or index + 1 >= len(self._lines):
            return False
        delimiter = self._lines[index + 1]
        return "|" in delimiter and bool(_TABLE_DELIMITER.match(delimiter))

    def _read_table(self, index: int) -> int:
        rows = [_table_cells(self._lines[index])]
        index += 2  # past the header and the delimiter row
        while index < len(self._lines) and "|" in self._lines[index] and self._lines[index].strip():
            rows.append(_table_cells(self._lines[index]))
            index += 1
        self._blocks.extend(table_blocks(rows, self._stack))
        return index

    def _read_fence(self, index: int, fence: str) -> int:
        """A fence closes at a line of the same character at least as long; unclosed runs to the end."""
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = index + 1
        while end < len(self._lines) and not closing.match(self._lines[end]):
            end += 1
        code = "\n".join(self._lines[index + 1 : end])
        if code.strip():
            self._blocks.append(self._stack.block(code, BlockKind.CODE))
        return end + 1

    def _add_heading(self, raw: str, level: int) -> None:
        text = _strip_inline_markup(raw)
        if text:
            self._blocks.append(self._stack.heading(text, level))

    def _flush(self) -> None:
        text = _strip_inline_markup(join_lines(self._pending))
        if text:
            self._blocks.append(self._stack.block(text, self._pending_kind))
        self._pending, self._pending_kind = [], BlockKind.PARAGRAPH


def _table_cells(line: str) -> list[str]:
    row = line.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [_strip_inline_markup(cell.replace("\\|", "|")) for cell in _CELL_SPLIT.split(row)]
