"""Decode a recording with ffmpeg into bounded windows of 16 kHz mono samples, each cut at a pause.

ffmpeg streams the decoded audio through a pipe; at most one window (plus the carried-over tail of the
previous one) is in memory, whatever the recording's length. A window ends at the quietest 100 ms in its
last tenth, so a cut rarely falls inside a word.
"""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zhiku.core.errors import ConfigurationError, CorruptFile
from zhiku.ingest.speech.transcriber import SAMPLE_RATE

_BYTES_PER_SAMPLE = 4  # float32
_PAUSE_FRAME = SAMPLE_RATE // 10  # 100 ms


@dataclass(frozen=True, slots=True)
class AudioWindow:
    offset_s: float  # where the window starts in the recording
    samples: np.ndarray  # float32 mono at SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def decode_audio_windows(path: Path, filename: str, window_s: float, ffmpeg: str = "ffmpeg") -> Iterator[AudioWindow]:
    window = int(window_s * SAMPLE_RATE)
    command = [ffmpeg, "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-vn", "-ac", "1",
               "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"]
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"'{ffmpeg}' was not found: install ffmpeg (apt-get install ffmpeg) or set "
                                 "ZHIKU_FFMPEG_BINARY.") from exc
    assert process.stdout is not None and process.stderr is not None
    carried = np.zeros(0, dtype=np.float32)
    offset = 0
    try:
        while True:
            fresh = _read_samples(process.stdout, window - len(carried))
            buffer = np.concatenate([carried, fresh]) if len(carried) else fresh
            if len(buffer) == 0:
                break
            at_end = len(buffer) < window
            cut = len(buffer) if at_end else _quietest_cut(buffer)
            yield AudioWindow(offset / SAMPLE_RATE, buffer[:cut])
            offset += cut
            carried = buffer[cut:].copy()
            if at_end:
                break
        process.stdout.close()
        error = process.stderr.read().decode("utf-8", "replace").strip()
        if process.wait() != 0:
            raise CorruptFile(f"The audio of '{filename}' could not be decoded (ffmpeg: "
                              f"{error.splitlines()[-1][:200] if error else 'unknown error'}).")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _read_samples(stream, count: int) -> np.ndarray:
    wanted = count * _BYTES_PER_SAMPLE
    chunks, size = [], 0
    while size < wanted:
        chunk = stream.read(wanted - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    data = b"".join(chunks)
    usable = len(data) - len(data) % _BYTES_PER_SAMPLE
    return np.frombuffer(data[:usable], dtype=np.float32).copy()


def _quietest_cut(samples: np.ndarray) -> int:
    """Index of the start of the quietest 100 ms frame in the last tenth of the window."""
    tail_start = len(samples) - len(samples) // 10
    tail = samples[tail_start:]
    frames = len(tail) // _PAUSE_FRAME
    if frames < 2:
        return len(samples)
    energy = np.square(tail[: frames * _PAUSE_FRAME].reshape(frames, _PAUSE_FRAME)).mean(axis=1)
    return tail_start + int(np.argmin(energy)) * _PAUSE_FRAME
