"""How much of the service one document may use: unpacked size, markup, pages, rows, recording length, chunks
and time. Every limit is a setting (docs/configuration.md); a document over one fails with a message that names
the limit and the setting, and nothing of it is indexed."""
from __future__ import annotations

import time
from dataclasses import dataclass

from zhiku.core.errors import LimitExceeded

MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class ParseLimits:
    max_archive_entries: int = 10_000        # members of a ZIP package (DOCX, XLSX, PPTX)
    max_unpacked_bytes: int = 256 * MIB      # all members of a package, decompressed
    max_xml_elements: int = 4_000_000        # markup tags in all XML parts of a package
    max_pages: int = 2_000                   # PDF pages, slides, image frames
    max_rows: int = 100_000                  # table rows (CSV, XLSX sheets together)
    max_text_bytes: int = 64 * MIB           # text formats (TXT, Markdown, CSV, HTML, EML) as uploaded
    max_media_seconds: float = 4 * 3600      # audio and video duration
    max_nesting: int = 2                     # attachments inside attachments (EML)


DEFAULT_LIMITS = ParseLimits()


def refuse(filename: str, what: str, limit_text: str, setting: str, advice: str = "") -> LimitExceeded:
    advice = advice or "Split the document, or ask an administrator to raise the limit"
    return LimitExceeded(f"'{filename}' {what}; the limit is {limit_text} ({setting}). {advice}, then upload again.")


def check_count(filename: str, count: int, limit: int, noun: str, setting: str) -> None:
    if count > limit:
        raise refuse(filename, f"has more than {limit:,} {noun}", f"{limit:,} {noun}", setting)


def check_bytes(filename: str, size: int, limit: int, what: str, setting: str) -> None:
    if size > limit:
        raise refuse(filename, f"{what} {size / MIB:,.1f} MiB", f"{limit / MIB:,.0f} MiB", setting)


def check_duration(filename: str, seconds: float, limit: float) -> None:
    if seconds > limit:
        raise refuse(filename, f"lasts {seconds / 60:,.0f} minutes", f"{limit / 60:,.0f} minutes",
                     "ZHIKU_MAX_MEDIA_MINUTES", "Cut the recording into parts, or ask an administrator to raise the limit")


def check_pixels(filename: str, width: int, height: int, limit: int) -> None:
    """Before decoding: a small compressed file can hold a huge picture (a decompression bomb)."""
    if width * height > limit:
        raise LimitExceeded(
            f"'{filename}' is {width} × {height} pixels ({width * height / 1e6:.0f} MP); the limit is "
            f"{limit / 1e6:.0f} MP (ZHIKU_MAX_IMAGE_MEGAPIXELS). Scale it down, or split the scan, and upload again."
        )


class JobBudget:
    """A job's time budget, checked between steps (pages, windows, embedding batches): a step already running
    finishes, the next one is not started."""

    def __init__(self, filename: str, seconds: float, clock=time.monotonic):
        self.filename = filename
        self.seconds = seconds
        self._clock = clock
        self._deadline = clock() + seconds

    def check(self) -> None:
        if self._clock() > self._deadline:
            minutes = self.seconds / 60
            raise refuse(self.filename, f"took longer than the ingestion time budget of {minutes:g} minutes",
                         f"{minutes:g} minutes", "ZHIKU_JOB_TIME_BUDGET_MINUTES",
                         "Split the document (fewer pages or a shorter recording), or ask an administrator to "
                         "raise the budget")
