"""Video (MP4, MKV, MOV, WebM) → the audio track through speech-to-text, plus on-screen text by OCR of
frames sampled at scene changes and every N seconds, de-duplicated across frames. Every block carries the
time range it covers; on-screen text also its box, in pixels of the displayed frame."""
from __future__ import annotations

from zhiku.core.errors import CorruptFile, NoTextFound
from zhiku.core.types import Block, ParsedDocument
from zhiku.ingest.media.frame_sampler import sample_frames
from zhiku.ingest.media.media_probe import probe_media
from zhiku.ingest.media.screen_text import ScreenTextTracker
from zhiku.ingest.media.source_file import media_file
from zhiku.ingest.parse_context import ParseContext
from zhiku.ingest.parse_limits import check_duration, check_pixels
from zhiku.ingest.parsers.plain_text import require_data
from zhiku.ingest.speech.recording_transcript import no_speech_advice, transcribe_recording

SCREEN_TEXT_HEADING = "画面文字 On-screen text"
_SPEECH_SHARE = 0.6  # of the progress bar, when the video has both speech and frames to read


def parse(data: bytes, filename: str, context: ParseContext) -> ParsedDocument:
    require_data(data, "video")
    options = context.options
    with media_file(data, filename, context.source_path) as path:
        info = probe_media(path, filename, options.ffprobe)
        if info.video_size is None:
            raise CorruptFile(f"'{filename}' has no video track. If it is a sound recording, upload it with an "
                              "audio extension (.mp3, .m4a, .wav).")
        check_duration(filename, info.duration_s, context.limits.max_media_seconds)
        check_pixels(filename, *info.video_size, options.max_image_pixels)
        speech: list[Block] = []
        language = context.language
        if info.has_audio:
            language, speech = transcribe_recording(path, filename, info.duration_s, context,
                                                    progress_share=(0.0, _SPEECH_SHARE))
        screen = _screen_text(path, filename, info.video_size, info.duration_s, context,
                              start=_SPEECH_SHARE if info.has_audio else 0.0)
    if not info.has_audio and not screen:
        raise NoTextFound(f"'{filename}' has no audio track and no readable on-screen text, so there is nothing "
                          "to index. Check that the right file was chosen (a screen recording needs its sound).")
    if not speech and not screen:
        raise NoTextFound(f"No speech and no on-screen text were recognised in '{filename}'. "
                          + no_speech_advice(context.language))
    return ParsedDocument(blocks=speech + screen, title=None, page_count=None,
                          metadata={"duration_s": f"{info.duration_s:.2f}", "language": language or "",
                                    "video_size": f"{info.video_size[0]}x{info.video_size[1]}"})


def _screen_text(path, filename: str, video_size: tuple[int, int], duration_s: float, context: ParseContext,
                 start: float) -> list[Block]:
    options = context.options
    tracker = ScreenTextTracker(options.video_frame_interval_seconds)
    reader = context.ocr()
    total = max(duration_s, 1e-6)
    for frame in sample_frames(path, filename, video_size, options.video_frame_interval_seconds,
                               options.video_scene_threshold, options.ffmpeg):
        context.checkpoint()
        paragraphs = reader.read(frame.image)
        tracker.add_frame(frame.time_s, [
            (p.text, p.kind, tuple(round(v / frame.scale, 1) for v in p.bbox)) for p in paragraphs
        ])
        done = min(frame.time_s, total)
        context.progress("ocr", start + (1 - start) * done / total, f"frames read up to {done:.0f}/{duration_s:.0f} s")
    return tracker.blocks([SCREEN_TEXT_HEADING])
