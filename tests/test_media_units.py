"""The media building blocks on their own: windowed decoding, frame de-duplication, photo orientation."""
from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from zhiku.core.types import BlockKind
from zhiku.ingest.media.audio_windows import decode_audio_windows
from zhiku.ingest.media.media_probe import probe_media
from zhiku.ingest.media.screen_text import ScreenTextTracker
from zhiku.ingest.speech.transcriber import SAMPLE_RATE
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
    from zhiku.ingest.parse_context import ParseContext
    from zhiku.ingest.parsers import image

    upright = scanned_page(["请于柜台办理挂失业务。"], size=(900, 600), noise=False, angle=0)
    # A phone held sideways stores the pixels rotated and says so in EXIF (orientation 6: rotate 90° CW).
    stored = upright.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = image_bytes(stored, "JPEG", exif=exif, quality=90)
    document = image.parse(photo, "photo.jpg", ParseContext(ocr=lambda: shared_ocr_reader))
    assert "挂失业务" in " ".join(b.text for b in document.blocks)
    assert document.metadata["image_size"] == "900x600"


@pytest.mark.parametrize("suffix", [".m4a", ".flac", ".ogg", ".mp3", ".wav"])
def test_every_audio_container_decodes_to_the_same_length(tmp_path, suffix):
    require_media_tools()
    source = _tone_bursts(tmp_path / "tone.wav", [(1.0, True), (0.5, False), (1.0, True)])
    encoded = tmp_path / f"clip{suffix}"
    if suffix != ".wav":
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), str(encoded)], check=True)
    else:
        encoded = source
    info = probe_media(encoded, encoded.name)
    assert info.has_audio and info.video_size is None
    total = sum(w.duration_s for w in decode_audio_windows(encoded, encoded.name, window_s=60))
    assert total == pytest.approx(2.5, abs=0.1)  # encoders pad a few milliseconds


@pytest.mark.parametrize("suffix,codec", [(".mkv", "libx264"), (".mov", "libx264"), (".webm", "libvpx-vp9")])
def test_every_video_container_yields_timed_frames(tmp_path, suffix, codec):
    from zhiku.ingest.media.frame_sampler import sample_frames

    require_media_tools()
    video = tmp_path / f"clip{suffix}"
    # 6 s: red for 3 s, then blue (a scene change), sampled at least every 2 s.
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=320x240:d=3:r=5",
                    "-f", "lavfi", "-i", "color=c=blue:s=320x240:d=3:r=5", "-filter_complex",
                    "[0:v][1:v]concat=n=2:v=1:a=0", "-c:v", codec, "-pix_fmt", "yuv420p", str(video)], check=True)
    info = probe_media(video, video.name)
    assert not info.has_audio and info.video_size == (320, 240)
    frames = list(sample_frames(video, video.name, info.video_size, interval_s=2.0, scene_threshold=0.3))
    times = [f.time_s for f in frames]
    assert times == sorted(times) and times[0] == pytest.approx(0.0, abs=0.3)
    assert all(b - a <= 2.3 for a, b in zip(times, times[1:]))
    assert any(abs(t - 3.0) < 0.3 for t in times)  # the cut to blue is sampled
    assert frames[0].image.getpixel((10, 10))[0] > 200 and frames[-1].image.getpixel((10, 10))[2] > 200


@pytest.mark.parametrize("fmt", ["BMP", "WEBP", "PNG"])
def test_bmp_webp_png_are_read(shared_ocr_reader, fmt):
    from zhiku.ingest.parse_context import ParseContext
    from zhiku.ingest.parsers import image

    page = scanned_page(["网点营业时间调整通知"], size=(900, 400), noise=False, angle=0)
    data = image_bytes(page, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    document = image.parse(data, f"notice.{fmt.lower()}", ParseContext(ocr=lambda: shared_ocr_reader))
    assert "营业时间调整" in " ".join(b.text for b in document.blocks)
    assert document.blocks[0].page == 1 and document.blocks[0].bbox is not None


def test_traditional_chinese_transcripts_come_out_simplified():
    from zhiku.ingest.speech.chinese_script import to_simplified

    assert to_simplified("銀行貸款審批需要三個工作日,請準備資料!") == "银行贷款审批需要三个工作日，请准备资料！"


def test_pdf_pages_with_missing_or_garbage_text_layers_are_sent_to_ocr():
    from zhiku.ingest.parsers.pdf import _Line, _needs_ocr

    def line(text: str) -> _Line:
        return _Line(text=text, size=10, bbox=(0, 0, 10, 10), block_no=0, in_margin=False)

    assert _needs_ocr([], has_images=True)  # a scan: an image and no text
    assert not _needs_ocr([], has_images=False)  # an empty page
    assert _needs_ocr([line("(cid:12)(cid:34)(cid:56)(cid:78) 营业")], has_images=False)  # unmapped glyphs
    private_use = "".join(chr(0xE000 + i) for i in range(20))  # glyphs a broken font maps to nothing usable
    assert _needs_ocr([line(private_use + " abc")], has_images=False)
    assert not _needs_ocr([line("第一条 为规范个人住房贷款业务，制定本办法。")], has_images=True)  # a text page with a logo


def test_whisper_hallucinations_are_not_indexed_as_speech():
    from zhiku.ingest.speech.hallucination import is_hallucination

    assert is_hallucination("以下是普通话的句子。")          # the prompt echoed back on unintelligible audio
    assert is_hallucination("Yi 3,4," + "5," * 100)          # a token loop
    assert is_hallucination("星" * 200)
    assert not is_hallucination("客户经理表示，工厂共有6条生产线，产能利用率为85%。")
    assert not is_hallucination("The quick brown fox jumps over the lazy dog, then runs into the forest.")


def test_character_loops_are_cut_back():
    from zhiku.ingest.speech.hallucination import collapse_character_loops

    assert collapse_character_loops("工厂厂厂厂厂厂。工有六条厂厂厂厂线") == "工厂。工有六条厂线"
    assert collapse_character_loops("谢谢，看看，常常") == "谢谢，看看，常常"  # doubles are language
    assert collapse_character_loops("aaa 111") == "aaa 111"


def test_a_varied_loop_and_a_broken_character_are_not_speech():
    from zhiku.ingest.speech.hallucination import is_hallucination

    assert is_hallucination("我认论认论论认认论")
    assert is_hallucination("我认论\ufffd")
    assert not is_hallucination("工有六条生产线、都在运行。")
    assert not is_hallucination("5-5")
