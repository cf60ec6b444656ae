"""Entry point of parsing: detect the format, run its parser, and normalize the blocks."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from zhiku.core.errors import EmptyFile, NoTextFound
from zhiku.core.types import Block, ParsedDocument
from zhiku.ingest.file_types import FileType, detect_file_type
from zhiku.ingest.package_guard import check_package
from zhiku.ingest.parse_context import ParseContext
from zhiku.ingest.parse_limits import DEFAULT_LIMITS, ParseLimits, check_bytes
from zhiku.ingest.parsers import (
    audio,
    csv_table,
    docx,
    email_message,
    html,
    image,
    markdown,
    pdf,
    plain_text,
    pptx,
    video,
    xlsx,
)

Parser = Callable[[bytes, str], ParsedDocument]
LimitedParser = Callable[[bytes, str, ParseLimits], ParsedDocument]
ContextParser = Callable[[bytes, str, ParseContext], ParsedDocument]

_PARSERS: dict[FileType, Parser] = {
    FileType.DOCX: docx.parse,
    FileType.HTML: html.parse,
    FileType.MARKDOWN: markdown.parse,
    FileType.TEXT: plain_text.parse,
}
# Formats whose size the bytes do not bound: slides, rows, attachments are counted while they are read.
_LIMITED_PARSERS: dict[FileType, LimitedParser] = {
    FileType.XLSX: xlsx.parse,
    FileType.PPTX: pptx.parse,
    FileType.CSV: csv_table.parse,
    FileType.EML: email_message.parse,
}
_PACKAGES = {FileType.DOCX: "DOCX", FileType.XLSX: "XLSX", FileType.PPTX: "PPTX"}
_TEXT_FORMATS = {FileType.HTML, FileType.MARKDOWN, FileType.TEXT, FileType.CSV, FileType.EML}
# Formats whose parsers use models (OCR, speech-to-text), ffmpeg or the stored original.
_CONTEXT_PARSERS: dict[FileType, ContextParser] = {
    FileType.IMAGE: image.parse,
    FileType.AUDIO: audio.parse,
    FileType.VIDEO: video.parse,
}
# Control characters (keeping tab and newline), plus BOMs, zero-width spaces and soft hyphens that
# extraction leaves behind: invisible, but they break matching and tokenization.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\ufeff]")
_UTF8_BOM = b"\xef\xbb\xbf"


def parse_document(data: bytes, filename: str, context: ParseContext | None = None,
                   limits: ParseLimits | None = None) -> tuple[FileType, ParsedDocument]:
    """`context` gives parsers of scans and recordings their models and the limits; without it, only text formats
    parse, under `limits` (default: DEFAULT_LIMITS).

    The limits (ingest/parse_limits.py) bound what one document may cost: a package is checked before any of its
    parts is read, a text file before it is decoded.
    """
    if not data.removeprefix(_UTF8_BOM).strip():
        raise EmptyFile(f"'{filename}' is empty; check that the right file was chosen and upload it again.")
    file_type = detect_file_type(filename, data)
    limits = context.limits if context is not None else limits or DEFAULT_LIMITS
    if file_type in _PACKAGES:
        check_package(data, filename, _PACKAGES[file_type], limits)
    elif file_type in _TEXT_FORMATS:
        check_bytes(filename, len(data), limits.max_text_bytes, "is a text file of", "ZHIKU_MAX_TEXT_FILE_MB")
    if file_type is FileType.PDF:
        document = pdf.parse(data, filename, context, limits)  # without OCR, scanned pages are reported, not read
    elif file_type in _CONTEXT_PARSERS:
        document = _CONTEXT_PARSERS[file_type](data, filename, context or ParseContext(limits=limits))
    elif file_type in _LIMITED_PARSERS:
        document = _LIMITED_PARSERS[file_type](data, filename, limits)
    else:
        document = _PARSERS[file_type](data, filename)
    document.blocks = [block for block in map(_clean_block, document.blocks) if block.text]
    if document.title:
        document.title = _clean_text(document.title) or None
    if not any(block.text.strip() for block in document.blocks):
        raise NoTextFound(
            f"No text could be extracted from '{filename}'. If it contains only images, run OCR or "
            "export a version with selectable text, then upload again."
        )
    return file_type, document


def _clean_text(text: str) -> str:
    return _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _clean_block(block: Block) -> Block:
    return replace(block, text=_clean_text(block.text), heading_path=[_clean_text(h) for h in block.heading_path])
