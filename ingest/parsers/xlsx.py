"""XLSX parser: each sheet is a level-1 heading followed by one TABLE_ROW block per data row."""
from __future__ import annotations

import io
from datetime import date, datetime, time

import openpyxl
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from zhiku.core.types import Block, ParsedDocument
from zhiku.ingest.parse_limits import DEFAULT_LIMITS, ParseLimits
from zhiku.ingest.parsers.csv_table import limited_rows, table_blocks
from zhiku.ingest.parsers.plain_text import HeadingStack, require_data, wrap_library_errors

_FLOAT_DIGITS = ".15g"  # Excel keeps 15 significant digits; more only shows binary float noise


def parse(data: bytes, filename: str, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    require_data(data, "XLSX")
    with wrap_library_errors("XLSX"):
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            stack = HeadingStack()
            blocks: list[Block] = []
            rows_before = 0
            for sheet in workbook.worksheets:
                sheet_blocks, rows = _sheet_blocks(sheet, stack, filename, limits, rows_before)
                blocks += sheet_blocks
                rows_before += rows
            title = (workbook.properties.title or "").strip() or None
        finally:
            workbook.close()  # read-only workbooks keep the zip open until closed
    return ParsedDocument(blocks=blocks, title=title)


def _sheet_blocks(sheet: ReadOnlyWorksheet, stack: HeadingStack, filename: str, limits: ParseLimits,
                  rows_before: int) -> tuple[list[Block], int]:
    """The sheet's blocks and its number of rows (the row limit counts the workbook's rows together)."""
    # Read-only mode trusts the sheet's stored <dimension>, which some exporters write wrongly
    # (e.g. "A1"), silently truncating the data; resetting makes openpyxl scan the real rows.
    sheet.reset_dimensions()
    rows = [[_format_cell(value) for value in row]
            for row in limited_rows(sheet.iter_rows(values_only=True), filename, limits, rows_before)]
    if not any(any(row) for row in rows):
        return [], len(rows)
    heading = stack.heading(sheet.title, 1)
    return [heading, *table_blocks(rows, stack)], len(rows)


def _format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # checked before int: bool is an int subclass
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, _FLOAT_DIGITS)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)
