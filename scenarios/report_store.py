"""Drafted reports on disk: <data dir>/reports/<id>/ holds report.json, report.md and report.docx.

Each file is written under a temporary name and renamed, so a crash never leaves half a report.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from zhiku.core.errors import NotFound

_REPORT_ID = re.compile(r"[0-9a-f]{32}")
FORMATS = {"json": ("report.json", "application/json"),
           "md": ("report.md", "text/markdown; charset=utf-8"),
           "docx": ("report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")}


class ReportStore:
    def __init__(self, root: Path):
        self.root = root

    def save(self, report_id: str, body: dict, markdown: str, docx: bytes) -> None:
        folder = self.root / report_id
        folder.mkdir(parents=True, exist_ok=True)
        _write(folder / "report.json", json.dumps(body, ensure_ascii=False, indent=1, default=str).encode("utf-8"))
        _write(folder / "report.md", markdown.encode("utf-8"))
        _write(folder / "report.docx", docx)

    def path(self, report_id: str, fmt: str) -> Path:
        if not _REPORT_ID.fullmatch(report_id):
            raise NotFound(f"report {report_id!r} not found")
        if fmt not in FORMATS:
            raise NotFound(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
        path = self.root / report_id / FORMATS[fmt][0]
        if not path.is_file():
            raise NotFound(f"report {report_id!r} not found")
        return path

    def load(self, report_id: str) -> dict:
        return json.loads(self.path(report_id, "json").read_text(encoding="utf-8"))


def _write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
