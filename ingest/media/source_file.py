"""ffmpeg reads files, not bytes: use the stored original when there is one, else a temporary copy."""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PureWindowsPath


@contextmanager
def media_file(data: bytes, filename: str, stored: Path | None) -> Iterator[Path]:
    if stored is not None and stored.is_file():
        yield stored
        return
    with tempfile.NamedTemporaryFile(suffix=PureWindowsPath(filename).suffix.lower()) as handle:
        handle.write(data)
        handle.flush()
        yield Path(handle.name)
