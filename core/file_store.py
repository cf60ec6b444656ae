"""Uploaded originals, stored once per content hash, so jobs can be re-run after a crash; beside each, what is derived
from it alone and worth keeping (the canonical text a citation preview cuts), removed with it."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from zhiku.core.errors import FileTooLarge

_COPY_BLOCK = 1 << 20
HEAD_BYTES = 1 << 20  # enough of a file to recognise its format
_TEXT_SUFFIX = ".text"
_FILE_TYPE = re.compile(r"^[a-z0-9_]{1,20}$")


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
        self.delete_derived(digest)
        self.path(digest).unlink(missing_ok=True)

    # -- derived from an original: the canonical text of its document -------------------------------------
    def text_path(self, digest: str, file_type: str) -> Path:
        """Where the canonical text parsed from this original as `file_type` is kept (the content hash names it,
        so a changed file never meets a stale text)."""
        if not _FILE_TYPE.match(file_type) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"not a content hash and file type: {digest!r}, {file_type!r}")
        return self.root / digest[:2] / f"{digest}.{file_type}{_TEXT_SUFFIX}"

    def read_text(self, digest: str, file_type: str) -> str | None:
        try:
            return self.text_path(digest, file_type).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write_text(self, digest: str, file_type: str, text: str) -> None:
        target = self.text_path(digest, file_type)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".text-")  # owner-only, like the originals
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def delete_derived(self, digest: str) -> None:
        """Remove what was derived from this original (kept or not, the original itself stays)."""
        for path in self.root.glob(f"{digest[:2]}/{digest}.*{_TEXT_SUFFIX}"):
            path.unlink(missing_ok=True)

    def derived_digests(self) -> set[str]:
        """The originals something derived is kept for (for consistency checks)."""
        return {path.name.split(".", 1)[0] for path in self.root.glob(f"??/*{_TEXT_SUFFIX}") if path.is_file()}

    def digests(self) -> set[str]:
        """Every original in the store (for consistency checks)."""
        return {path.name for path in self.root.glob("??/*") if path.is_file() and len(path.name) == 64}
