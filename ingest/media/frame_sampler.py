"""Sample video frames for OCR: one at every scene change, and at least one every N seconds.

ffmpeg selects the frames and streams them as raw RGB through a pipe (one frame in memory at a time);
its showinfo filter reports each selected frame's timestamp on stderr, read by a helper thread.
"""
from __future__ import annotations

import queue
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from zhiku.core.errors import ConfigurationError, CorruptFile

_MAX_WIDTH = 1280  # on-screen text stays legible; larger frames only slow the detector down
_PTS_TIME = re.compile(rb"pts_time:\s*([-\d.]+)")


@dataclass(frozen=True, slots=True)
class VideoFrame:
    time_s: float
    image: Image.Image  # RGB at the sampled size
    scale: float  # sampled pixels per original (displayed) pixel


def sample_frames(path: Path, filename: str, video_size: tuple[int, int], interval_s: float,
                  scene_threshold: float, ffmpeg: str = "ffmpeg") -> Iterator[VideoFrame]:
    source_width, source_height = video_size
    if source_width <= 0 or source_height <= 0:
        raise CorruptFile(f"'{filename}' has a video track without a frame size; the file may be damaged.")
    scale = min(1.0, _MAX_WIDTH / source_width)
    width = max(2, int(source_width * scale) // 2 * 2)
    height = max(2, int(source_height * scale) // 2 * 2)
    select = (f"select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{interval_s:g})"
              f"+gt(scene\\,{scene_threshold:g})',showinfo,scale={width}:{height}")
    command = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "info", "-i", str(path), "-map", "0:v:0",
               "-an", "-vf", select, "-fps_mode", "vfr", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"'{ffmpeg}' was not found: install ffmpeg or set ZHIKU_FFMPEG_BINARY.") from exc
    assert process.stdout is not None and process.stderr is not None
    times: queue.Queue[float | None] = queue.Queue()
    last_lines: list[bytes] = []
    reader = threading.Thread(target=_read_timestamps, args=(process.stderr, times, last_lines), daemon=True)
    reader.start()
    frame_bytes = width * height * 3
    try:
        while True:
            data = process.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            time_s = times.get(timeout=60)
            if time_s is None:
                break
            yield VideoFrame(time_s, Image.frombytes("RGB", (width, height), data), width / source_width)
        process.stdout.close()
        if process.wait() != 0:
            detail = last_lines[-1].decode("utf-8", "replace")[:200] if last_lines else "unknown error"
            raise CorruptFile(f"The video of '{filename}' could not be decoded (ffmpeg: {detail}).")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=5)


def _read_timestamps(stream, times: queue.Queue, last_lines: list[bytes]) -> None:
    for line in iter(stream.readline, b""):
        if b"showinfo" in line and (match := _PTS_TIME.search(line)):
            times.put(float(match.group(1)))
        elif line.strip():
            del last_lines[:-4]
            last_lines.append(line.strip())
    times.put(None)
