"""What parsers of scans, recordings and videos need beyond the bytes: models, options, progress."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from zhiku.core.errors import ConfigurationError
from zhiku.ingest.ocr.page_reader import OcrPageReader
from zhiku.ingest.parse_limits import DEFAULT_LIMITS, ParseLimits
from zhiku.ingest.speech.transcriber import Transcriber

ProgressReport = Callable[[str, float, str], None]  # stage, fraction of the parsing work done (0..1), detail


def _ignore_progress(stage: str, fraction: float, detail: str) -> None:
    pass


def _no_deadline() -> None:
    pass


def _no_ocr() -> OcrPageReader:
    raise ConfigurationError("OCR is not available in this context")


def _no_speech() -> Transcriber:
    raise ConfigurationError("speech-to-text is not available in this context")


@dataclass(frozen=True, slots=True)
class MediaOptions:
    pdf_ocr_dpi: int = 200
    max_image_pixels: int = 100_000_000
    asr_window_seconds: float = 600
    video_frame_interval_seconds: float = 5.0
    video_scene_threshold: float = 0.3
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"


@dataclass(slots=True)
class ParseContext:
    """Models are providers, called only when a file needs them: a text document never loads OCR or ASR."""

    ocr: Callable[[], OcrPageReader] = _no_ocr
    transcriber: Callable[[], Transcriber] = _no_speech
    options: MediaOptions = field(default_factory=MediaOptions)
    language: str | None = None  # spoken language to force (ISO 639-1); None: detect
    source_path: Path | None = None  # the original on disk, so ffmpeg can read it without a copy
    progress: ProgressReport = _ignore_progress
    limits: ParseLimits = DEFAULT_LIMITS
    # Called between steps (pages, windows, frames); raises when the job's time budget is spent.
    checkpoint: Callable[[], None] = _no_deadline
