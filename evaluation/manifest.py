"""Rows of an evaluation set's manifest.jsonl (OCR pages, speech clips), optionally one split only."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


def manifest_rows(dataset_dir: Path, split: str | None = "dev") -> Iterator[dict]:
    with open(Path(dataset_dir) / "manifest.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            if split and row.get("split", split) != split:
                continue
            yield row
