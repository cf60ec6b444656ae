"""Decide a file's format from its name, cross-checked against its leading bytes."""
from __future__ import annotations

import mimetypes
from enum import Enum
from pathlib import PureWindowsPath

from zhiku.core.errors import CorruptFile, EncryptedFile, UnsupportedFileType


class FileType(str, Enum):
    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    HTML = "html"
    MARKDOWN = "markdown"
    TEXT = "text"
    CSV = "csv"
    EML = "eml"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"


_EXTENSION_TYPES: dict[str, FileType] = {
    ".pdf": FileType.PDF,
    ".docx": FileType.DOCX,
    ".xlsx": FileType.XLSX,
    ".pptx": FileType.PPTX,
    ".html": FileType.HTML,
    ".htm": FileType.HTML,
    ".md": FileType.MARKDOWN,
    ".markdown": FileType.MARKDOWN,
    ".txt": FileType.TEXT,
    ".text": FileType.TEXT,
    ".csv": FileType.CSV,
    ".eml": FileType.EML,
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"), FileType.IMAGE),
    **dict.fromkeys((".wav", ".mp3", ".m4a", ".flac", ".ogg", ".oga", ".opus"), FileType.AUDIO),
    **dict.fromkeys((".mp4", ".mkv", ".mov", ".webm", ".m4v"), FileType.VIDEO),
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(_EXTENSION_TYPES)

_MIME_TYPES: dict[FileType, str] = {
    FileType.PDF: "application/pdf",
    FileType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileType.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    FileType.HTML: "text/html",
    FileType.MARKDOWN: "text/markdown",
    FileType.TEXT: "text/plain",
    FileType.CSV: "text/csv",
    FileType.EML: "message/rfc822",
}

_OOXML_TYPES = {FileType.DOCX: ".docx", FileType.XLSX: ".xlsx", FileType.PPTX: ".pptx"}
_LEGACY_OFFICE = {".doc": ".docx", ".xls": ".xlsx", ".ppt": ".pptx"}
_ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
# Office stores a password-protected .docx/.xlsx/.pptx as an OLE2 container with this stream.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_PDF_MAGIC = b"%PDF"
_PDF_MAGIC_WINDOW = 1024  # the PDF spec tolerates junk before the header; readers look this far


_MEDIA_MIME_FALLBACK = {FileType.IMAGE: "image/*", FileType.AUDIO: "audio/*", FileType.VIDEO: "video/*"}


def mime_type(file_type: FileType, filename: str = "") -> str:
    if file_type in _MEDIA_MIME_FALLBACK:
        guessed, _ = mimetypes.guess_type(PureWindowsPath(filename).name.lower())
        return guessed or _MEDIA_MIME_FALLBACK[file_type]
    return _MIME_TYPES[file_type]


def file_type_from_name(filename: str) -> FileType:
    """The format the extension claims; raises UnsupportedFileType for anything else."""
    extension = PureWindowsPath(filename).suffix.lower()  # handles "/" and "\" separators alike
    file_type = _EXTENSION_TYPES.get(extension)
    if file_type is None:
        raise UnsupportedFileType(_unsupported_message(filename, extension))
    return file_type


def detect_file_type(filename: str, data: bytes) -> FileType:
    """The format from the extension, cross-checked against the leading bytes of `data`."""
    file_type = file_type_from_name(filename)
    if file_type is FileType.PDF:
        _check_pdf(filename, data)
    elif file_type in _OOXML_TYPES:
        _check_ooxml(filename, data, _OOXML_TYPES[file_type])
    return file_type


def _unsupported_message(filename: str, extension: str) -> str:
    supported = ", ".join(SUPPORTED_EXTENSIONS)
    if extension in _LEGACY_OFFICE:
        return (
            f"'{filename}' is a legacy binary Office file ({extension}), which is not supported. "
            f"Open it in Office, save it as {_LEGACY_OFFICE[extension]} and upload again."
        )
    kind = f"'{extension}' files" if extension else "files without an extension"
    return f"Cannot read '{filename}': {kind} are not supported. Supported types: {supported}."


def _check_pdf(filename: str, data: bytes) -> None:
    if _PDF_MAGIC not in data[:_PDF_MAGIC_WINDOW]:
        raise CorruptFile(
            f"'{filename}' is not a valid PDF (no PDF header found): the file may be damaged or not "
            "really a PDF. Export it to PDF again and re-upload."
        )


def _check_ooxml(filename: str, data: bytes, extension: str) -> None:
    if data.startswith(OLE2_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise EncryptedFile(
                f"'{filename}' is password-protected; remove the password (File > Info > Protect) "
                "and upload again."
            )
        raise CorruptFile(
            f"'{filename}' is a legacy binary Office file (.doc/.xls/.ppt) renamed to {extension}; "
            f"legacy binary Office formats are not supported. Open it in Office, save it as {extension} "
            "and upload again."
        )
    if not data.startswith(_ZIP_MAGIC):
        raise CorruptFile(
            f"'{filename}' is not a valid {extension} file: the file may be damaged or not really a "
            f"{extension[1:].upper()}. Open it in Office, save it again and re-upload."
        )
