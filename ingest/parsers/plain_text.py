"""Plain-text parser, plus the small text helpers every other parser shares.

The shared helpers (decoding, line joining, numbered-heading detection, heading-path tracking, error
wrapping) live here because plain text is the base case the other formats reduce to.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from zhiku.core.errors import CorruptFile, EmptyFile, ZhikuError
from zhiku.core.types import Block, BlockKind, ParsedDocument

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),  # Windows Notepad's "Unicode" encoding
    (b"\xfe\xff", "utf-16"),
)
# Sentence-ending punctuation: a line ending in one of these is prose, not a heading.
_SENTENCE_END = tuple("。；;，,！!？?")
_CN_NUMERAL = "[一二三四五六七八九十百零〇两]+"
# (pattern, rank): lower rank = outer heading. Numeric "1.2" headings get rank 4 + depth.
_NAMED_HEADINGS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(rf"^第(?:{_CN_NUMERAL}|\d+)\s*[编篇]"), 0),
    (re.compile(rf"^第(?:{_CN_NUMERAL}|\d+)\s*章"), 1),
    (re.compile(rf"^第(?:{_CN_NUMERAL}|\d+)\s*节"), 2),
    (re.compile(rf"^{_CN_NUMERAL}\s*[、．]"), 3),
    (re.compile(rf"^[（(]{_CN_NUMERAL}[）)]"), 4),
)
_NUMERIC_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})(?:[、．.]\s*|\s+)(?=[^\d\s])")
_NUMERIC_RANK_BASE = 4
# Lines that open a new paragraph even without a blank line before them (articles, enumerations).
_ITEM_START = re.compile(rf"^(?:第(?:{_CN_NUMERAL}|\d+)\s*条|[（(](?:{_CN_NUMERAL}|\d+)[）)]|\d+[.、．)）](?!\d))")
_BULLET = re.compile(r"^(?:[-*+]\s+|[•●▪◆■·]\s*)")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_HYPHENS = ("-", "\u00ad", "\u2010")
# Plain text (a .txt file, an e-mail's text part) marks a section with a line in capitals over its lines
# ("MAINTENANCE WINDOW" over "Start: 22:00 …"): a heading when it opens a group of lines, so the lines under it are
# read with it as their section label. Letters before an optional parenthesis all capitals, at most six words.
_CAPS_HEADING = re.compile(r"^(?=[^a-z]*[A-Z]{2})[A-Z0-9][A-Z0-9.&/'’ -]{1,60}?(?:\s*\([^()]{1,60}\))?$")
_CAPS_RANK = 10  # inside any numbered section: such a line names a part of one
# A field line ("Start: 22:00 on Saturday", "Change reference: CHG-…", "编号：HCB-…") opens an item of its own, so
# one field is one sentence, not a run of them joined into one.
_FIELD = re.compile(r"^(?:[A-Z][A-Za-z]*(?: [A-Za-z]+){0,3}|[\u4e00-\u9fff]{2,8})\s*[:：]\s*\S")
_MAX_HEADING_CHARS = 40
# Heading sort key: plain text ranks by numbering alone, PDF by (-font size, numbering rank).
RankKey = TypeVar("RankKey", int, tuple[float, int])


def require_data(data: bytes, format_name: str) -> None:
    if not data.strip():
        raise EmptyFile(f"The {format_name} file is empty; check that the right file was chosen and upload it again.")


@contextmanager
def wrap_library_errors(format_name: str) -> Iterator[None]:
    """Turn whatever a parsing library throws on damaged input into one actionable CorruptFile."""
    try:
        yield
    except ZhikuError:
        raise
    except Exception as exc:  # the libraries raise anything from KeyError to zlib.error on bad bytes
        raise CorruptFile(
            f"Could not read this {format_name} file: the file may be damaged or not really a "
            f"{format_name}. Open it in its application, save it again as {format_name} and re-upload."
        ) from exc


def decode_text(data: bytes) -> str:
    """Decode text of unknown encoding: BOM, then UTF-8, then GB18030 (a superset of GBK/GB2312)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _normalize_newlines(data.decode(encoding, errors="replace"))
    for encoding in ("utf-8", "gb18030"):
        try:
            return _normalize_newlines(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    return _normalize_newlines(data.decode("latin-1"))


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_cjk(char: str) -> bool:
    return bool(char) and _CJK.match(char) is not None


def join_lines(lines: Iterable[str]) -> str:
    """Join hard-wrapped lines: no separator around CJK, a space between Latin words, and a word
    hyphenated across the break is rejoined."""
    parts: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not parts:
            parts.append(line)
            continue
        prev = parts[-1]
        if prev.endswith(_HYPHENS) and len(prev) > 1 and prev[-2].isalpha() and line[0].islower():
            parts[-1] = prev[:-1]
        elif not (is_cjk(prev[-1]) or is_cjk(line[0])):
            parts.append(" ")
        parts.append(line)
    return "".join(parts)


def heading_rank(line: str, *, allow_single_number: bool = False) -> int | None:
    """Rank of a numbered heading such as "第一章", "一、", "（一）" or "1.2" (lower = outer), else None.

    Plain "1." numbering is usually a list item, so callers opt in only where the line stands alone.
    """
    text = line.strip()
    if not text or len(text) > _MAX_HEADING_CHARS or text.endswith(_SENTENCE_END):
        return None
    for pattern, rank in _NAMED_HEADINGS:
        if pattern.match(text):
            return rank
    numeric = _NUMERIC_HEADING.match(text)
    if numeric is None:
        return None
    depth = numeric.group(1).count(".") + 1
    if depth == 1 and not allow_single_number:
        return None
    return _NUMERIC_RANK_BASE + depth


def strip_bullet(line: str) -> str | None:
    """The line without its bullet marker, or None when it is not a bulleted line."""
    bullet = _BULLET.match(line)
    return line[bullet.end():] if bullet else None


def starts_paragraph(line: str) -> bool:
    """Whether the line opens a new paragraph by itself: an article ("第三条"), an enumeration or a bullet."""
    return bool(_ITEM_START.match(line) or _BULLET.match(line))


def dense_levels(keys: Iterable[RankKey]) -> dict[RankKey, int]:
    """Map heading sort keys (outermost first) to levels 1..n, so the outermost heading used is level 1."""
    return {key: level for level, key in enumerate(sorted(set(keys)), start=1)}


class HeadingStack:
    """Tracks the open headings so every block gets the heading_path it sits under."""

    def __init__(self) -> None:
        self._open: list[tuple[int, str]] = []

    @property
    def path(self) -> list[str]:
        return [text for _, text in self._open]

    def heading(
        self,
        text: str,
        level: int,
        *,
        page: int | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> Block:
        while self._open and self._open[-1][0] >= level:
            self._open.pop()
        block = Block(text, BlockKind.HEADING, page=page, heading_path=self.path, level=level, bbox=bbox)
        self._open.append((level, text))
        return block

    def block(
        self,
        text: str,
        kind: BlockKind = BlockKind.PARAGRAPH,
        *,
        page: int | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> Block:
        return Block(text, kind, page=page, heading_path=self.path, bbox=bbox)


@dataclass(slots=True)
class _Item:
    text: str
    kind: BlockKind
    rank: int | None = None  # set for headings


def text_blocks(text: str) -> list[Block]:
    """Structure decoded plain text: paragraphs at blank lines, conservative numbered headings."""
    items = [item for group in _line_groups(text) for item in _group_items(group)]
    levels = dense_levels(item.rank for item in items if item.rank is not None)
    stack = HeadingStack()
    return [
        stack.heading(item.text, levels[item.rank]) if item.rank is not None else stack.block(item.text, item.kind)
        for item in items
    ]


def _line_groups(text: str) -> Iterator[list[str]]:
    group: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            group.append(line)
        elif group:
            yield group
            group = []
    if group:
        yield group


def _group_items(group: list[str]) -> Iterator[_Item]:
    if len(group) == 1 and (rank := heading_rank(group[0], allow_single_number=True)) is not None:
        yield _Item(group[0].strip(), BlockKind.HEADING, rank)
        return
    current: list[str] = []
    kind = BlockKind.PARAGRAPH
    if len(group) > 1 and _caps_heading(group[0]):
        yield _Item(group[0].strip(), BlockKind.HEADING, _CAPS_RANK)
        group = group[1:]
    fields = sum(1 for line in group if _FIELD.match(line.strip())) >= 2
    for line in group:
        stripped = line.strip()
        rank = heading_rank(stripped)
        if current and (rank is not None or starts_paragraph(stripped) or (fields and _FIELD.match(stripped))):
            yield _Item(join_lines(current), kind)
            current, kind = [], BlockKind.PARAGRAPH
        if rank is not None:
            yield _Item(stripped, BlockKind.HEADING, rank)
        elif (item := strip_bullet(stripped)) is not None:
            current, kind = [item], BlockKind.LIST_ITEM
        else:
            current.append(stripped)
    if current:
        yield _Item(join_lines(current), kind)


def _caps_heading(line: str) -> bool:
    text = line.strip()
    return (len(text.split()) <= 6 + text.count("(") * 6 and not text.endswith(_SENTENCE_END)
            and _CAPS_HEADING.match(text) is not None)


def parse(data: bytes, filename: str) -> ParsedDocument:
    require_data(data, "text")
    return ParsedDocument(blocks=text_blocks(decode_text(data)))
