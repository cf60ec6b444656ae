"""Which lane a job waits in: large uploads and recordings apart, so a small upload never queues behind them."""
from __future__ import annotations

from zhiku.core.models import JobLane
from zhiku.ingest.file_types import FileType

# Recordings take minutes per file whatever their size (speech-to-text runs at a fraction of real time).
_ALWAYS_LARGE = {FileType.AUDIO.value, FileType.VIDEO.value}


def choose_lane(file_type: str, size_bytes: int, large_job_bytes: int) -> JobLane:
    if file_type in _ALWAYS_LARGE or size_bytes > large_job_bytes:
        return JobLane.LARGE
    return JobLane.SMALL
