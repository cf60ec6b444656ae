"""Builds the configured speech-to-text engine (loaded lazily, once per process, by the runtime)."""
from __future__ import annotations

from zhiku.core.settings import Settings
from zhiku.ingest.speech.transcriber import Transcriber


def make_transcriber(settings: Settings) -> Transcriber:
    if settings.asr_engine == "openai-whisper":
        from zhiku.ingest.speech.openai_whisper_transcriber import OpenAiWhisperTranscriber

        return OpenAiWhisperTranscriber(settings.openai_whisper_checkpoint, settings.model_threads,
                                        settings.asr_beam_size)
    from zhiku.ingest.speech.faster_whisper_transcriber import FasterWhisperTranscriber

    return FasterWhisperTranscriber(settings.whisper_model_path, settings.model_threads, settings.asr_beam_size)
