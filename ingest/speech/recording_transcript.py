"""A whole recording → timed transcript blocks, window by window, with progress in seconds transcribed."""
from __future__ import annotations

from pathlib import Path

from zhiku.core.errors import NoTextFound
from zhiku.core.types import Block
from zhiku.ingest.media.audio_windows import decode_audio_windows
from zhiku.ingest.parse_context import ParseContext
from zhiku.ingest.speech.hallucination import collapse_character_loops, is_hallucination


_REPORT_EVERY_S = 15.0  # of audio: often enough for a live progress bar, rare enough for the metadata store


def _report(context: ParseContext, low: float, high: float, done_s: float, duration_s: float, last_reported: float,
            force: bool = False) -> float:
    done_s = min(done_s, max(duration_s, 0.0))
    if not force and done_s - last_reported < _REPORT_EVERY_S:
        return last_reported
    fraction = done_s / duration_s if duration_s > 0 else 1.0
    context.progress("transcribing", low + (high - low) * fraction, f"transcribed {done_s:.0f}/{duration_s:.0f} s")
    return done_s


def transcribe_recording(path: Path, filename: str, duration_s: float, context: ParseContext,
                         progress_share: tuple[float, float] = (0.0, 1.0)) -> tuple[str | None, list[Block]]:
    """Returns (language, blocks). Each block is one speech segment with its start and end time."""
    low, high = progress_share
    transcriber = context.transcriber()
    language = context.language
    blocks: list[Block] = []
    heard_any_audio = False
    reported = -_REPORT_EVERY_S
    for window in decode_audio_windows(path, filename, context.options.asr_window_seconds, context.options.ffmpeg):
        heard_any_audio = heard_any_audio or window.duration_s > 0
        transcription = transcriber.transcribe(window.samples, language)
        language = language or transcription.language  # detected once, then kept for the whole recording
        for segment in transcription.segments:
            if is_hallucination(segment.text):
                continue
            text = collapse_character_loops(segment.text)
            blocks.append(Block(text=text, start_s=round(window.offset_s + segment.start_s, 2),
                                end_s=round(window.offset_s + segment.end_s, 2)))
            reported = _report(context, low, high, window.offset_s + segment.end_s, duration_s, reported)
        reported = _report(context, low, high, window.offset_s + window.duration_s, duration_s, reported, force=True)
    if not heard_any_audio:
        raise NoTextFound(f"'{filename}' contains no audio samples (zero length). Check the recording and upload "
                          "it again.")
    return language, blocks


def no_speech_advice(forced_language: str | None) -> str:
    """What to try when a recording yielded no speech: naming the language helps only if none was named."""
    if forced_language is None:
        return "If people do speak in it, set the spoken language for the upload and try again."
    return (f"It was transcribed as the language it was set to ({forced_language}): check that this is the "
            "language spoken and that the speech is audible (not music, noise or silence), then upload it again.")
