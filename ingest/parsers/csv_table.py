"""CSV parser, plus the table-to-rows rendering every format with tables shares.

Each data row becomes one TABLE_ROW block, "header: value | header: value", so a retrieved row is
self-explanatory without the header row next to it.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar
from pathlib import PureWindowsPath

from zhiku.core.types import Block, BlockKind, ParsedDocument
from zhiku.ingest.parse_limits import DEFAULT_LIMITS, ParseLimits, check_count
from zhiku.ingest.parsers.plain_text import HeadingStack, decode_text, join_lines, require_data, wrap_library_errors

_SNIFF_CHARS = 16_384
_DELIMITERS = ",;\t|"
Row = TypeVar("Row")


def cell_text(value: str) -> str:
    """One-line cell text: rows are rendered on a single line, so in-cell line breaks are joined."""
    return join_lines(" ".join(line.split()) for line in value.splitlines())


def render_row(header: Sequence[str], cells: Sequence[str]) -> str:
    parts = []
    for index, value in enumerate(cells):
        if not value:
            continue
        name = header[index] if index < len(header) else ""
        parts.append(f"{name}: {value}" if name and name != value else value)
    return " | ".join(parts)


def table_blocks(rows: Sequence[Sequence[str]], stack: HeadingStack, *, page: int | None = None) -> list[Block]:
    """First non-empty row is the header; it is emitted on its own only when it is the whole table.

    Callers pass "" for the repeated positions of a horizontally merged cell, so it is rendered once.
    """
    cleaned = [[cell_text(cell) for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return []
    if len(cleaned) == 1:
        return [stack.block(" | ".join(cell for cell in cleaned[0] if cell), BlockKind.TABLE_ROW, page=page)]
    header, body = cleaned[0], cleaned[1:]
    return [stack.block(text, BlockKind.TABLE_ROW, page=page) for row in body if (text := render_row(header, row))]


def limited_rows(rows: Iterable[Row], filename: str, limits: ParseLimits, counted: int = 0) -> Iterator[Row]:
    """The rows, refusing the document once it has more than the row limit (`counted`: rows of earlier
    sheets)."""
    for number, row in enumerate(rows, start=counted + 1):
        if number > limits.max_rows:
            check_count(filename, number, limits.max_rows, "table rows", "ZHIKU_MAX_TABLE_ROWS")
        yield row


def _dialect(text: str) -> type[csv.Dialect] | str:
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a half line at the cut confuses the sniffer
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
    except csv.Error:  # single-column or irregular files: the sniffer gives up, comma is the norm
        return "excel"


def parse(data: bytes, filename: str, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    require_data(data, "CSV")
    text = decode_text(data)
    with wrap_library_errors("CSV"):
        rows = list(limited_rows(csv.reader(io.StringIO(text), dialect=_dialect(text)), filename, limits))
    # PureWindowsPath splits on both "\" and "/", and browsers on Windows may send either.
    title = PureWindowsPath(filename).stem or None
    return ParsedDocument(blocks=table_blocks(rows, HeadingStack()), title=title)
