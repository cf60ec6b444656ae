"""The media building blocks on their own: windowed decoding, frame de-duplication, photo orientation."""
from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.types import BlockKind
from ingest.media.audio_windows import decode_audio_windows
from ingest.media.media_probe import probe_media
from ingest.media.screen_text import ScreenTextTracker
from ingest.speech.transcriber import SAMPLE_RATE
from tests.media import image_bytes, require_media_tools, scanned_page


def _tone_bursts(path: Path, pattern: list[tuple[float, bool]]) -> Path:
    """A 16 kHz WAV of 440 Hz tone (True) and silence (False) segments, in seconds."""
    pieces = []
    for seconds, loud in pattern:
        t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        pieces.append(0.5 * np.sin(2 * np.pi * 440 * t) if loud else np.zeros_like(t))
    samples = (np.concatenate(pieces) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())
    return path


def test_windows_are_bounded_contiguous_and_cut_in_a_pause(tmp_path):
    require_media_tools()
    # Tone everywhere except a pause at 9.3–9.7 s, inside the last tenth of the first 10 s window.
    clip = _tone_bursts(tmp_path / "bursts.wav", [(9.3, True), (0.4, False), (5.0, True)])
    windows = list(decode_audio_windows(clip, "bursts.wav", window_s=10))
    assert [round(w.offset_s, 2) for w in windows][0] == 0.0
    assert all(len(w.samples) <= 10 * SAMPLE_RATE for w in windows)
    for previous, following in zip(windows, windows[1:]):
        assert following.offset_s == pytest.approx(previous.offset_s + previous.duration_s)
    assert 9.3 <= windows[0].duration_s <= 9.7  # the cut fell in the pause, not mid-tone
    assert sum(w.duration_s for w in windows) == pytest.approx(14.7, abs=0.01)


def test_probe_tells_audio_from_cover_art_and_reads_duration(tmp_path):
    require_media_tools()
    clip = _tone_bursts(tmp_path / "tone.wav", [(2.0, True)])
    cover = tmp_path / "cover.png"
    Image.new("RGB", (64, 64), "red").save(cover)
    song = tmp_path / "song.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-i", str(cover), "-map", "0:a", "-map", "1:v",
                    "-c:v", "png", "-disposition:v", "attached_pic", str(song)], check=True)
    info = probe_media(song, "song.mp3")
    assert info.has_audio and info.video_size is None  # album art is not a video
    assert info.duration_s == pytest.approx(2.0, abs=0.1)


def test_screen_text_seen_in_many_frames_is_kept_once_with_its_time_range():
    tracker = ScreenTextTracker(interval_s=2.0)
    box = (10.0, 10.0, 200.0, 40.0)
    tracker.add_frame(0.0, [("第三季度信贷投放计划", BlockKind.PARAGRAPH, box)])
    tracker.add_frame(2.0, [("第三季度信贷投放计刬", BlockKind.PARAGRAPH, box)])  # one character misread
    tracker.add_frame(4.0, [("第三季度信贷投放计划", BlockKind.PARAGRAPH, box),
                            ("新增目标：120亿元", BlockKind.PARAGRAPH, (10.0, 50.0, 200.0, 80.0))])
    tracker.add_frame(6.0, [("风险提示", BlockKind.PARAGRAPH, box)])
    blocks = tracker.blocks(["On-screen text"])
    assert [(b.text, b.start_s, b.end_s) for b in blocks] == [
        ("第三季度信贷投放计划", 0.0, 6.0),
        ("新增目标：120亿元", 4.0, 6.0),
        ("风险提示", 6.0, 8.0),
    ]
    assert all(b.heading_path == ["On-screen text"] for b in blocks)


def test_phone_photo_is_read_upright_from_its_exif_orientation(shared_ocr_reader):
    from ingest.parse_context import ParseContext
    from ingest.parsers import image

    upright = scanned_page(["请于柜台办理挂失业务。"], size=(900, 600), noise=False, angle=0)
    # A phone held sideways stores the pixels rotated and says so in EXIF (orientation 6: rotate 90° CW).
    stored = upright.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = image_bytes(stored, "JPEG", exif=exif, quality=90)
    document = image.parse(photo, "photo.jpg", ParseContext(ocr=lambda: shared_ocr_reader))
    assert "挂失业务" in " ".join(b.text for b in document.blocks)
    assert document.metadata["image_size"] == "900x600"
