"""The API path of `zhiku bench ingest` alone, for a profiler: the documents go through the upload use case and the
in-process job runner from an empty data folder, models loaded and stores opened first (as in a running service).

    py-spy record --threads -r 100 -f raw -o api.raw -- .venv/bin/python docs/profiles/profile_ingest.py WORKDIR 80
    py-spy record --threads -r 100 -f raw -o long.raw -- .venv/bin/python docs/profiles/profile_ingest.py WORKDIR 12 20-50
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from zhiku.core.settings import get_settings
from zhiku.evaluation.ingest_benchmark import api_path, write_documents, write_long_documents

CORPUS = Path("/work/shared/eval/rgb_zh/corpus.jsonl")


def main(workdir: str, count: str, chunks: str | None = None) -> None:
    settings = get_settings()
    base = Path(workdir)
    if chunks:
        low, high = (int(n) for n in chunks.split("-", 1))
        documents = write_long_documents(CORPUS, int(count), base / "documents", (low, high),
                                         settings.chunk_size - settings.chunk_overlap)
    else:
        documents = write_documents(CORPUS, int(count), base / "documents")
    print(json.dumps(api_path(documents, settings, base / "api"), ensure_ascii=False))


if __name__ == "__main__":
    main(*sys.argv[1:])
