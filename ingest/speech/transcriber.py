"""What every speech-to-text engine does: 16 kHz mono samples in, timed text segments out."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class SpeechSegment:
    start_s: float  # relative to the start of the samples passed in
    end_s: float
    text: str


@dataclass(frozen=True, slots=True)
class Transcription:
    language: str  # the forced language, or the one detected
    segments: Iterator[SpeechSegment]  # lazily decoded, in time order


class Transcriber(Protocol):
    """Implementations load their model once, on first use, and are safe to call from several threads."""

    name: str

    def transcribe(self, samples: np.ndarray, language: str | None) -> Transcription:
        """`samples`: float32 mono at SAMPLE_RATE. `language`: ISO 639-1 code to force, None to detect."""
        ...
