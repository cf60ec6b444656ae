"""Audio (WAV, MP3, M4A, FLAC, OGG) → ffmpeg → speech-to-text → timed transcript blocks."""
from __future__ import annotations

from zhiku.core.errors import CorruptFile, NoTextFound
from zhiku.core.types import ParsedDocument
from zhiku.ingest.media.media_probe import probe_media
from zhiku.ingest.media.source_file import media_file
from zhiku.ingest.parse_context import ParseContext
from zhiku.ingest.parse_limits import check_duration
from zhiku.ingest.parsers.plain_text import require_data
from zhiku.ingest.speech.recording_transcript import no_speech_advice, transcribe_recording


def parse(data: bytes, filename: str, context: ParseContext) -> ParsedDocument:
    require_data(data, "audio")
    with media_file(data, filename, context.source_path) as path:
        info = probe_media(path, filename, context.options.ffprobe)
        check_duration(filename, info.duration_s, context.limits.max_media_seconds)
        if not info.has_audio:
            raise CorruptFile(f"'{filename}' has no audio track: it is not an audio recording. Check that the "
                              "right file was chosen.")
        language, blocks = transcribe_recording(path, filename, info.duration_s, context)
    if not blocks:
        raise NoTextFound(f"No speech was recognised in '{filename}' ({info.duration_s:.0f} s). "
                          + no_speech_advice(context.language))
    return ParsedDocument(blocks=blocks, title=None, page_count=None,
                          metadata={"duration_s": f"{info.duration_s:.2f}", "language": language or ""})
