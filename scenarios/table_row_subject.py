"""Whom a sentence quoted from a table row is about. A row is rendered "header: value | header: value" (ingest's
table parsers); a long cell such as a manager's bio splits into several sentences, and the later ones ("曾任…，
2012年加入本公司") no longer name the person. The row's short cells before it (职务, 姓名) say who it is."""
from __future__ import annotations

_CELL_SEPARATOR = " | "
_MAX_SUBJECT_CELL = 20  # characters: a name or a title, not another long text


def _value(cell: str) -> str:
    for separator in (": ", "："):
        if separator in cell:
            return cell.split(separator, 1)[1].strip()
    return cell.strip()


def row_subject(passage: str, sentence: str) -> str | None:
    """The values of the short cells before the one `sentence` was quoted from, joined ("董事长，顾振华"), when the
    sentence does not name them all; None when it is not from a table row or already says whom it is about."""
    sentence = sentence.strip()
    for line in passage.splitlines():
        if sentence not in line or _CELL_SEPARATOR not in line:
            continue
        cells = line.split(_CELL_SEPARATOR)
        owner = next((i for i, cell in enumerate(cells) if sentence in cell), None)
        if owner is None or owner == 0:
            return None  # spans cells, or the row's first cell: it carries its own subject
        subject = [value for value in map(_value, cells[:owner]) if value and len(value) <= _MAX_SUBJECT_CELL]
        if not subject or all(value in sentence for value in subject):
            return None
        return "，".join(subject)
    return None
