"""The original-file store: content-addressed, streamed in blocks, nothing left behind on refusal."""
from __future__ import annotations

import hashlib
import io

import pytest

from zhiku.core.errors import FileTooLarge
from zhiku.core.file_store import HEAD_BYTES, FileStore


def test_streamed_save_hashes_in_blocks_and_keeps_one_copy(tmp_path):
    store = FileStore(tmp_path / "files")
    data = bytes(range(256)) * 20_000  # 5 MB: several copy blocks
    stored = store.save_stream(io.BytesIO(data), limit=10 * 2**20)
    assert stored.digest == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert stored.head == data[:HEAD_BYTES]
    assert store.read(stored.digest) == data and store.read_head(stored.digest, 10) == data[:10]
    again = store.save_stream(io.BytesIO(data), limit=10 * 2**20)
    assert again.digest == stored.digest
    assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [stored.digest]


def test_oversized_stream_is_refused_and_leaves_no_file(tmp_path):
    store = FileStore(tmp_path / "files")
    with pytest.raises(FileTooLarge, match="ZHIKU_MAX_UPLOAD_MB"):
        store.save_stream(io.BytesIO(b"x" * (3 * 2**20)), limit=2 * 2**20, name="big.mp3")
    assert not [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
