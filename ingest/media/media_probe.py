"""What a media file holds, from ffprobe: duration, audio track, video size; bad files fail readably here."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from zhiku.core.errors import ConfigurationError, CorruptFile

_PROBE_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class MediaInfo:
    duration_s: float
    has_audio: bool
    video_size: tuple[int, int] | None  # displayed width, height (rotation applied); None without video
    format_name: str


def probe_media(path: Path, filename: str, ffprobe: str = "ffprobe") -> MediaInfo:
    try:
        completed = subprocess.run(
            [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
            capture_output=True, timeout=_PROBE_TIMEOUT_S, check=False,
        )
    except FileNotFoundError as exc:
        raise ConfigurationError(f"'{ffprobe}' was not found: install ffmpeg (apt-get install ffmpeg) or set "
                                 "ZHIKU_FFPROBE_BINARY.") from exc
    except subprocess.TimeoutExpired as exc:
        raise CorruptFile(f"'{filename}' could not be inspected within {_PROBE_TIMEOUT_S} s; the file may be "
                          "damaged.") from exc
    if completed.returncode != 0:
        raise CorruptFile(f"'{filename}' is not an audio or video file that can be decoded (ffprobe: "
                          f"{_first_line(completed.stderr)}). Check the file, or convert it to MP3/MP4 and "
                          "upload again.")
    info = json.loads(completed.stdout or b"{}")
    streams = info.get("streams", [])
    fmt = info.get("format", {})
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    video = [s for s in streams if s.get("codec_type") == "video" and not _is_cover_art(s)]
    duration = _float(fmt.get("duration")) or max((_float(s.get("duration")) for s in streams), default=0.0)
    return MediaInfo(
        duration_s=duration,
        has_audio=bool(audio),
        video_size=_displayed_size(video[0]) if video else None,
        format_name=str(fmt.get("format_name", "")),
    )


def _is_cover_art(stream: dict) -> bool:
    """An MP3/M4A's embedded album picture is a one-frame 'video' stream."""
    return bool(stream.get("disposition", {}).get("attached_pic"))


def _displayed_size(stream: dict) -> tuple[int, int]:
    width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    rotation = 0.0
    for side_data in stream.get("side_data_list", []) or []:
        if "rotation" in side_data:
            rotation = _float(side_data["rotation"])
    rotation = rotation or _float(stream.get("tags", {}).get("rotate"))
    if round(abs(rotation)) % 180 == 90:
        width, height = height, width
    return width, height


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _first_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    return text.splitlines()[-1][:200] if text else "unknown error"
