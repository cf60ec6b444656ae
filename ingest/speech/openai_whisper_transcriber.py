"""openai-whisper with a local checkpoint (.pt), for sites that standardise on the reference implementation."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from zhiku.core.errors import ConfigurationError
from zhiku.ingest.speech.chinese_script import SIMPLIFIED_PROMPT, to_simplified
from zhiku.ingest.speech.transcriber import SpeechSegment, Transcription


class OpenAiWhisperTranscriber:
    name = "openai-whisper"

    def __init__(self, checkpoint: Path | None, threads: int = 2, beam_size: int = 5):
        if not checkpoint:
            raise ConfigurationError("ZHIKU_ASR_ENGINE=openai-whisper needs ZHIKU_OPENAI_WHISPER_CHECKPOINT: "
                                     "the path of a local Whisper .pt checkpoint (it cannot be downloaded here).")
        self._checkpoint = Path(checkpoint)
        self._threads = threads
        self._beam_size = beam_size
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            if not self._checkpoint.is_file():
                raise ConfigurationError(f"Whisper checkpoint not found: {self._checkpoint}")
            try:
                import torch
                import whisper
            except ImportError as exc:
                raise ConfigurationError("ZHIKU_ASR_ENGINE=openai-whisper but openai-whisper is not installed "
                                         "(install torch==2.13.0 first, then pip install openai-whisper)") from exc
            torch.set_num_threads(self._threads)
            self._model = whisper.load_model(str(self._checkpoint), device="cpu")
        return self._model

    def transcribe(self, samples: np.ndarray, language: str | None) -> Transcription:
        with self._lock:
            model = self._load()
            result = model.transcribe(
                samples, language=language, beam_size=self._beam_size, fp16=False,
                condition_on_previous_text=False,
                initial_prompt=SIMPLIFIED_PROMPT if language == "zh" else None,
            )
        detected = language or result.get("language") or "unknown"
        return Transcription(language=detected, segments=self._segments(result["segments"], detected == "zh"))

    @staticmethod
    def _segments(raw: list[dict], chinese: bool) -> Iterator[SpeechSegment]:
        for segment in raw:
            text = segment["text"].strip()
            if chinese:
                text = to_simplified(text)
            if text:
                yield SpeechSegment(float(segment["start"]), float(segment["end"]), text)
