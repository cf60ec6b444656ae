"""Entry point of parsing: detect the format, run its parser, and normalize the blocks."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from core.errors import EmptyFile, NoTextFound
from core.types import Block, ParsedDocument
from ingest.file_types import FileType, detect_file_type
from ingest.parsers import csv_table, docx, email_message, html, markdown, pdf, plain_text, pptx, xlsx

Parser = Callable[[bytes, str], ParsedDocument]

_PARSERS: dict[FileType, Parser] = {
    FileType.PDF: pdf.parse,
    FileType.DOCX: docx.parse,
    FileType.XLSX: xlsx.parse,
    FileType.PPTX: pptx.parse,
    FileType.HTML: html.parse,
    FileType.MARKDOWN: markdown.parse,
    FileType.TEXT: plain_text.parse,
    FileType.CSV: csv_table.parse,
    FileType.EML: email_message.parse,
}
# Control characters (keeping tab and newline), plus BOMs, zero-width spaces and soft hyphens that
# extraction leaves behind: invisible, but they break matching and tokenization.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\ufeff]")
_UTF8_BOM = b"\xef\xbb\xbf"


def parse_document(data: bytes, filename: str) -> tuple[FileType, ParsedDocument]:
    if not data.removeprefix(_UTF8_BOM).strip():
        raise EmptyFile(f"'{filename}' is empty; check that the right file was chosen and upload it again.")
    file_type = detect_file_type(filename, data)
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
