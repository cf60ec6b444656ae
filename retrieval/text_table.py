"""A table row written as text, read with its header line: the same "header: value" cells a parsed table row has.

A PDF's text layer gives a statement table as lines — the header "项目 2025年度 2024年度", then rows "营业收入
58736.42 51283.67" — and plain text or a pasted report gives whitespace-aligned or pipe rows ("| Revenue | 1,204.5 |
1,101.2 |"). Read alone, such a row says neither which year a figure is for nor in what unit: quoted whole, it answers
"2025年的营业收入" with two numbers and no column. Here a row is recognised by its trailing run of figures, its header
is the nearest line above it (rows of the same table between) that has a name for each of those columns and is not
prose, and the row is rewritten as the cells a parsed table gives ("项目: 营业收入 | 2025年度: 58736.42 | 2024年度:
51283.67 万元", each figure with the unit the table's caption, its section or the passage states), so the answer
picks the cell whose column the question asks about (retrieval/extractive_answer.table_cells) like any other row.
"""
from __future__ import annotations

import re

# A figure as a statement writes it: 58,736.42 / (1,204.50) / -3.2 / 12.5% / 2.45 / —
_FIGURE = re.compile(r"[-−]?[(（]?[-−]?\d[\d,，]*(?:\.\d+)?[)）]?\s*%?|[-—–]{1,2}")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_PIPE = re.compile(r"\s*\|\s*")
_WIDE_GAP = re.compile(r"\t+|\s{2,}|\u3000+")
# Prose, not a header: sentence punctuation, or a line too long to name columns.
_PROSE = re.compile(r"[。，；;！？!?]|[,.:：]\s|[a-z]{3,}\s+[a-z]{3,}\s+[a-z]{3,}\s+[a-z]{3,}", re.I)
_MAX_HEADER_CELL = 16
_MAX_HEADER_LINE = 80
_UNIT = re.compile(r"(?:金额)?单位\s*[：:]\s*(?:人民币)?\s*(?P<zh>亿元|万元|千元|百万元|元|%)"
                   r"|\b(?:in|unit:?|amounts? in)\s+(?P<en>(?:(?:rmb|cny|usd|hkd|eur)\s+)?"
                   r"(?:thousands?|millions?|billions?)(?:\s+of\s+(?:rmb|cny|usd|hkd|eur|yuan|dollars))?)", re.I)
_LABEL_HEADER = {"zh": "项目", "en": "Item"}


def split_cells(line: str) -> list[str]:
    """The line's cells: by pipes when it has them, else by wide gaps (tabs, two or more spaces), else by spaces."""
    text = line.strip()
    if text.count("|") >= 2 or (text.startswith("|") and text.endswith("|")):
        return [c for c in _PIPE.split(text.strip("|").strip()) if c]
    wide = [c for c in _WIDE_GAP.split(text) if c]
    return wide if len(wide) > 1 else text.split()


def _is_figure(cell: str) -> bool:
    return bool(_FIGURE.fullmatch(cell.strip()))


def row_figures(line: str) -> tuple[str, list[str]] | None:
    """(row label, its figures) of a table row written as text — a label that is not a figure, then at least one
    figure and nothing after them; None for any other line. A label of several words ("Net profit 3,496.42
    3,101.20") is kept whole: only the trailing run of figures are the cells."""
    cells = split_cells(line)
    count = 0
    while count < len(cells) and _is_figure(cells[len(cells) - 1 - count]):
        count += 1
    if not count or count == len(cells):
        return None
    figures = cells[len(cells) - count:]
    if all(_YEAR.fullmatch(f) for f in figures):
        return None  # "Item 2025 2024" names its columns by year: a header, not a row
    label = " ".join(cells[:len(cells) - count])
    if (_PROSE.search(label) or label.endswith((":", "：")) or not any(c.isalpha() for c in label)
            or len(label) > _MAX_HEADER_LINE):
        return None
    return label, figures


def _header_columns(line: str, count: int) -> tuple[str | None, list[str]] | None:
    """(the label column's name, the names of the last `count` columns) when the line can be the header of rows with
    `count` figures: short, not prose, no figure among those names; None otherwise."""
    text = line.strip()
    if not text or len(text) > _MAX_HEADER_LINE or _PROSE.search(text) or row_figures(text) is not None:
        return None
    cells = split_cells(text)
    if len(cells) < count:
        return None
    names = cells[len(cells) - count:]
    if any((_is_figure(c) and not _YEAR.fullmatch(c)) or len(c) > _MAX_HEADER_CELL for c in names):
        return None
    first = " ".join(cells[:len(cells) - count]) or None
    return first, names


def header_for(lines: list[str], index: int) -> tuple[str | None, list[str]] | None:
    """The header of the row at lines[index]: the nearest line above it, past rows with as many figures (the same
    table), that names that many columns."""
    row = row_figures(lines[index])
    if row is None:
        return None
    count = len(row[1])
    for line in reversed(lines[:index]):
        if not any(c.isalnum() for c in line):
            continue  # blank, or a markdown table's "|---|---|" rule
        above = row_figures(line)
        if above is not None:
            if len(above[1]) != count:
                return None  # another table's rows: this one has no header of its own here
            continue
        return _header_columns(line, count)
    return None


def table_unit(*texts: str) -> str | None:
    """The unit a table's caption, section or passage states ("单位：万元", "in thousands of RMB")."""
    for text in texts:
        match = _UNIT.search(text or "")
        if match:
            return match.group("zh") or match.group("en")
    return None


def with_unit(figure: str, unit: str | None) -> str:
    """The figure with the table's unit after it ("58736.42 万元", "1,204.5 (in thousands of RMB)"): a figure
    quoted alone then says what it counts. A percentage or a dash keeps its own form."""
    if not unit or not any(c.isdigit() for c in figure) or figure.rstrip().endswith("%") or unit == "%":
        return figure
    return f"{figure} {unit}" if not unit.isascii() else f"{figure} (in {unit})"


def labelled_rows(text: str, context: str = "", headings: tuple[str, ...] = ()) -> dict[str, str]:
    """Each table row of `text` that has a header, as "项目: 营业收入 | 2025年度: 58736.42 万元 | 2024年度: 51283.67
    万元", keyed by the row's line (stripped). `context` is the section the text was cut from (the header of a long
    table may stand before the chunk); the unit is the nearest one stated above the row, else in the headings."""
    source = context if context and text.strip() and text.strip() in context else text
    lines = [line.strip() for line in source.splitlines()]
    wanted = {line.strip() for line in text.splitlines() if row_figures(line.strip()) is not None}
    out: dict[str, str] = {}
    for index, line in enumerate(lines):
        if line not in wanted or line in out:
            continue
        header = header_for(lines, index)
        if header is None:
            continue
        label_name, names = header
        label, figures = row_figures(line)
        if label_name is None:
            label_name = _LABEL_HEADER["en" if label.isascii() else "zh"]
        unit = table_unit("\n".join(reversed(lines[:index])), *reversed(headings))
        cells = [f"{label_name}: {label}"] + [f"{name}: {with_unit(value, unit)}" for name, value in zip(names, figures)]
        out[line] = " | ".join(cells)
    return out
