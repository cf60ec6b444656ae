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
    table may stand before the chunk); the unit is the nearest one stated above the row, else in the headings.

    A row's header is the nearest line above it, past blank lines, markdown rules and rows with as many figures (the
    same table), that names that many columns; a row with another number of figures between them means another
    table, and no header. One walk down the lines finds every row's header and unit: the answer reads this for each
    hit, and a section can be a long table."""
    source = context if context and text.strip() and text.strip() in context else text
    wanted = {line.strip() for line in text.splitlines() if row_figures(line.strip()) is not None}
    heading_unit = table_unit(*reversed(headings))
    out: dict[str, str] = {}
    header_line: str | None = None  # the nearest line above that is neither a row nor blank
    counts_since: set[int] = set()  # the figure counts of the rows between it and here
    unit: str | None = None  # the nearest unit stated above
    for raw in source.splitlines():
        line = raw.strip()
        row = row_figures(line) if any(c.isalnum() for c in line) else None
        if row is not None:
            label, figures = row
            count = len(figures)
            if line in wanted and line not in out and header_line is not None and counts_since <= {count}:
                header = _header_columns(header_line, count)
                if header is not None:
                    label_name, names = header
                    label_name = label_name or _LABEL_HEADER["en" if label.isascii() else "zh"]
                    row_unit = unit or heading_unit
                    cells = [f"{label_name}: {label}"] + [f"{n}: {with_unit(v, row_unit)}" for n, v in zip(names, figures)]
                    out[line] = " | ".join(cells)
            counts_since.add(count)
        elif any(c.isalnum() for c in line):
            header_line, counts_since = line, set()
        unit = table_unit(line) or unit
    return out
