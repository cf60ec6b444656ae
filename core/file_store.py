"""Uploaded originals, stored once per content hash, so jobs can be re-run after a crash."""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from zhiku.core.errors import FileTooLarge

_COPY_BLOCK = 1 << 20
HEAD_BYTES = 1 << 20  # enough of a file to recognise its format


@dataclass(frozen=True, slots=True)
class StoredFile:
    digest: str
    size: int
    head: bytes  # the first HEAD_BYTES


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)  # originals are for the service alone

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def save(self, data: bytes) -> str:
        digest = content_hash(data)
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Write then rename: a crash never leaves a half-written original under its final name.
            fd, tmp = tempfile.mkstemp(dir=target.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        return digest

    def save_stream(self, stream: BinaryIO, limit: int, name: str = "the file") -> StoredFile:
        """Copy a stream in blocks, hashing as it goes: an upload is never held in memory whole.

        Raises FileTooLarge (and keeps nothing) once more than `limit` bytes arrive.
        """
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        hasher, size, head = hashlib.sha256(), 0, b""
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                while block := stream.read(_COPY_BLOCK):
                    size += len(block)
                    if size > limit:
                        raise FileTooLarge(f"{name} is larger than the {limit / 2**20:.0f} MiB limit "
                                           "(ZHIKU_MAX_UPLOAD_MB)")
                    if len(head) < HEAD_BYTES:
                        head += block[: HEAD_BYTES - len(head)]
                    hasher.update(block)
                    handle.write(block)
                handle.flush()
                os.fsync(handle.fileno())
            digest = hasher.hexdigest()
            target = self.path(digest)
            if target.exists():
                os.unlink(tmp)
            else:
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.replace(tmp, target)  # mkstemp made it owner-only (0600)
            return StoredFile(digest, size, head)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def read_head(self, digest: str, size: int = HEAD_BYTES) -> bytes:
        with open(self.path(digest), "rb") as handle:
            return handle.read(size)

    def read(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

    def digests(self) -> set[str]:
        """Every original in the store (for consistency checks)."""
        return {path.name for path in self.root.glob("??/*") if path.is_file() and len(path.name) == 64}
