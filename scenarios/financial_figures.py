"""Line items read from financial statements exactly as written, and ratios computed from them.

A statement row arrives as a table row ("项目: 营业收入 | 2025年度: 12345.67 | 2024年度: 11000.5", from
XLSX/CSV/DOCX tables) or as a line of PDF text ("营业收入 12,345.67 11,000.50" under a header naming the
years). The label must be the whole cell or the start of the line, so "负债合计" never matches "流动负债合计".
The value is kept as the source writes it (the report copies it verbatim); its number is used for ratios.
"""
from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass

from zhiku.retrieval.search_hit import SearchHit

_NUMBER = r"-?\(?[\d,，]+(?:\.\d+)?\)?"
_YEAR = re.compile(r"(20\d{2}|19\d{2})")
_UNIT = re.compile(r"单位\s*[：:]\s*(人民币)?\s*(?P<unit>亿元|万元|千元|元)")


@dataclass(slots=True)
class Figure:
    item_id: str
    label: str
    period: str          # e.g. "2025"
    text: str            # exactly as in the source
    value: float
    hit: SearchHit       # the passage it was copied from
    unit: str | None = None


def parse_number(text: str) -> float:
    negative = text.startswith("(") and text.endswith(")") or text.startswith("-")
    digits = text.strip("()-").replace(",", "").replace("，", "")
    value = float(digits)
    return -value if negative else value


def figures_in(hit: SearchHit, item_id: str, label: str) -> list[Figure]:
    """Every (period, value) of the line item `label` in this passage."""
    unit = _unit_of(hit)
    out: list[Figure] = []
    for line in hit.text.splitlines():
        out += _row_cells(line, hit, item_id, label, unit) or _text_line(line, hit, item_id, label, unit)
    return out


def _row_cells(line: str, hit: SearchHit, item_id: str, label: str, unit: str | None) -> list[Figure]:
    cells = [c.strip() for c in line.split(" | ")]
    if not cells:
        return []
    first = cells[0].split(": ", 1)[-1].strip()
    if first != label:
        return []
    out = []
    for cell in cells[1:]:
        header, sep, value = cell.rpartition(": ")
        year = _YEAR.search(header) if sep else None
        if year and re.fullmatch(_NUMBER, value.strip()):
            out.append(Figure(item_id, label, year.group(1), value.strip(), parse_number(value.strip()), hit, unit))
    return out


def _text_line(line: str, hit: SearchHit, item_id: str, label: str, unit: str | None) -> list[Figure]:
    # PDF text may glue the label to its first number ("货币资金6842.37 5917.46").
    match = re.match(rf"\s*(?:[一二三四五六七八九十]+、|\d+\.|[（(]\w+[)）])?\s*{re.escape(label)}\s*"
                     rf"((?:{_NUMBER}\s*)+)$", line)
    if not match:
        return []
    values = match.group(1).split()
    years = _header_years(hit)
    if len(years) < len(values):
        return []
    return [Figure(item_id, label, year, value, parse_number(value), hit, unit) for year, value in zip(years, values)]


def _header_years(hit: SearchHit) -> list[str]:
    """The years of the statement's columns, from the header line above the rows (chunk, then its section)."""
    for source in (hit.text, hit.parent_text or ""):
        for line in source.splitlines():
            years = _YEAR.findall(line)
            if len(years) >= 2 and not re.search(r"\d[\d,]*\.\d", line):
                return years
    return []


def _unit_of(hit: SearchHit) -> str | None:
    for source in (hit.text, hit.parent_text or "", " ".join(hit.citation.heading_path)):
        match = _UNIT.search(source)
        if match:
            return match.group("unit")
    return None


# -- ratios ---------------------------------------------------------------------------------------
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def evaluate(formula: str, values: dict[str, float]) -> float | None:
    """The formula's value over the figures, or None when an input is missing or a divisor is zero."""
    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = walk(node.left), walk(node.right)
            if left is None or right is None or (isinstance(node.op, ast.Div) and right == 0):
                return None
            return _OPERATORS[type(node.op)](left, right)
        if isinstance(node, ast.Name):
            return values.get(node.id)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        raise ValueError(f"unsupported expression in ratio formula {formula!r}")

    return walk(ast.parse(formula, mode="eval"))


def formula_inputs(formula: str) -> list[str]:
    return [node.id for node in ast.walk(ast.parse(formula, mode="eval")) if isinstance(node, ast.Name)]
