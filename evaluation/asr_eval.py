"""`zhiku eval asr`: accuracy and speed of the configured speech-to-text engine on a small clip set.

A set is a folder with `manifest.jsonl` rows `{_id, audio, lang, text, reference, duration_s, split}`; `audio`
is relative to the folder and `reference` starts with "gold" (human transcript) or "silver" (a published model
output). Each clip goes through the product path, `transcribe_recording` (ffmpeg → windows → transcriber), with
the spoken language forced from the manifest (as an upload to a knowledge base with a language does) or
detected.

Scoring:
- English: WER over lower-cased words without edge punctuation, reported before and after spelling numbers as
  digits on both sides (Whisper writes "10", references say "ten"; neither is wrong).
- Chinese: CER over characters with punctuation, symbols and whitespace removed (Whisper's punctuation is not in
  the references), and Arabic numbers rewritten in Chinese numerals on both sides (see `chinese_numerals`).
Per language, the error is pooled (all edits over all reference tokens), so a one-word clip does not weigh as
much as a sentence; the mean of per-clip errors is reported too.
"""
from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from zhiku.core.errors import InvalidInput
from zhiku.core.languages import is_chinese, spoken_language
from zhiku.evaluation.manifest import manifest_rows
from zhiku.evaluation.text_metrics import edit_distance, normalize_numbers_en, words
from zhiku.ingest.parse_context import MediaOptions, ParseContext
from zhiku.ingest.speech.recording_transcript import transcribe_recording
from zhiku.ingest.speech.transcriber import SAMPLE_RATE, Transcriber

LANGUAGE_MODES = ("manifest", "auto")
_CHINESE_DIGITS = "零一二三四五六七八九"
_DIGIT_RUN = re.compile(r"\d+")
# Longer runs are codes, phone or account numbers, read digit by digit.
_MAX_PLACE_VALUE_DIGITS = 4


# -- normalisation -------------------------------------------------------------------------------------


def chinese_numerals(text: str) -> str:
    """Arabic numbers → Chinese numerals, as they are read: "25" → "二十五", "105" → "一百零五", "10" → "十".

    Runs of up to four digits without a leading zero get the place-value reading; longer runs (and "007") are
    read digit by digit, as codes and phone numbers are. A year ("2024年") is read digit by digit too. Kept this
    simple on purpose: 两 vs 二, 〇 vs 零, decimals and 万 are not handled.
    """
    def replace(match: re.Match[str]) -> str:
        digits = match.group(0)
        is_year = text.startswith("年", match.end())
        if is_year or len(digits) > _MAX_PLACE_VALUE_DIGITS or (len(digits) > 1 and digits[0] == "0"):
            return "".join(_CHINESE_DIGITS[int(d)] for d in digits)
        return _place_value_reading(int(digits))

    return _DIGIT_RUN.sub(replace, text)


def _place_value_reading(number: int) -> str:
    if number == 0:
        return "零"
    out: list[str] = []
    pending_zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // value % 10
        if digit == 0:
            pending_zero = bool(out)  # an inner zero is read once ("一千零五"); trailing ones are silent
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        # "十五", not "一十五", when ten leads the number.
        if not (unit == "十" and digit == 1 and not out):
            out.append(_CHINESE_DIGITS[digit])
        out.append(unit)
    return "".join(out)


def normalize_chinese(text: str) -> str:
    """What Chinese CER compares: NFKC (full-width digits and letters to ASCII), lower case, numbers as Chinese
    numerals, no punctuation, symbols or whitespace."""
    text = chinese_numerals(unicodedata.normalize("NFKC", text).lower())
    return "".join(char for char in text if not char.isspace() and unicodedata.category(char)[0] not in "PSZ")


_DIGIT_HYPHEN_DIGIT = re.compile(r"(?<=\d)-(?=\d)")


def english_tokens(text: str, numbers_as_digits: bool = True) -> list[str]:
    """Words as WER counts them, optionally with spelled-out numbers turned into digits first."""
    if not numbers_as_digits:
        return words(text)
    # "5-5" is how a transcript writes the spoken "five five": numbers joined by a hyphen are separate words.
    return words(_DIGIT_HYPHEN_DIGIT.sub(" ", normalize_numbers_en(text)))


# -- scoring -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClipScore:
    metric: str  # "wer" (English and other space-separated languages) or "cer" (Chinese)
    edits: int
    reference_length: int
    edits_before_normalisation: int  # English: without number normalisation; Chinese: without numeral rewriting
    reference_length_before_normalisation: int

    @property
    def error(self) -> float:
        return _rate(self.edits, self.reference_length)

    @property
    def error_before_normalisation(self) -> float:
        return _rate(self.edits_before_normalisation, self.reference_length_before_normalisation)


def _rate(edits: int, length: int) -> float:
    return edits / length if length else float(edits > 0)


def score_clip(hypothesis: str, reference: str, lang: str) -> ClipScore:
    if is_chinese(lang):
        hyp, ref = normalize_chinese(hypothesis), normalize_chinese(reference)
        raw_hyp, raw_ref = (_strip_punctuation_only(hypothesis), _strip_punctuation_only(reference))
        return ClipScore("cer", edit_distance(hyp, ref), len(ref), edit_distance(raw_hyp, raw_ref), len(raw_ref))
    hyp_words, ref_words = english_tokens(hypothesis), english_tokens(reference)
    raw_hyp, raw_ref = english_tokens(hypothesis, False), english_tokens(reference, False)
    return ClipScore("wer", edit_distance(hyp_words, ref_words), len(ref_words), edit_distance(raw_hyp, raw_ref),
                     len(raw_ref))


def _strip_punctuation_only(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(char for char in text if not char.isspace() and unicodedata.category(char)[0] not in "PSZ")


# -- the set -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clip:
    clip_id: str
    audio: Path
    lang: str
    text: str
    reference_kind: str  # "gold" or "silver"
    duration_s: float
    split: str


def load_clips(dataset_dir: Path, split: str | None = "dev") -> list[Clip]:
    dataset_dir = Path(dataset_dir)
    clips = []
    for row in manifest_rows(dataset_dir, split):
        try:
            spoken_language(row.get("lang"))
        except InvalidInput as exc:
            raise InvalidInput(f"{dataset_dir / 'manifest.jsonl'}, clip {row.get('_id')!r}: {exc.message}") from None
        kind = "gold" if str(row.get("reference", "")).lower().startswith("gold") else "silver"
        clips.append(Clip(row["_id"], dataset_dir / row["audio"], row["lang"], row["text"], kind,
                          float(row.get("duration_s") or 0.0), row.get("split", "")))
    return clips


@dataclass(slots=True)
class ClipResult:
    clip_id: str
    lang: str
    reference_kind: str
    detected_language: str | None  # what the recording was transcribed as (the forced one, or detected)
    reference: str
    hypothesis: str
    score: ClipScore
    audio_s: float
    processing_s: float  # ffmpeg decode + transcription, model already loaded


@dataclass(slots=True)
class AsrReport:
    dataset: str
    split: str
    language_mode: str
    engine: str
    model_load_s: float
    clips: list[ClipResult] = field(default_factory=list)

    def languages(self) -> dict[str, dict]:
        out = {}
        for lang in sorted({clip.lang for clip in self.clips}):
            clips = [clip for clip in self.clips if clip.lang == lang]
            audio = sum(clip.audio_s for clip in clips)
            processing = sum(clip.processing_s for clip in clips)
            out[lang] = {
                "clips": len(clips),
                "metric": clips[0].score.metric,
                "error": _rate(sum(c.score.edits for c in clips), sum(c.score.reference_length for c in clips)),
                "error_before_normalisation": _rate(sum(c.score.edits_before_normalisation for c in clips),
                                                    sum(c.score.reference_length_before_normalisation
                                                        for c in clips)),
                "mean_clip_error": statistics.fmean(c.score.error for c in clips),
                "language_mismatches": sum(c.detected_language != spoken_language(lang) for c in clips),
                "audio_s": audio,
                "processing_s": processing,
                "real_time_factor": processing / audio if audio else None,
            }
        return out

    def summary(self) -> dict:
        audio = sum(clip.audio_s for clip in self.clips)
        processing = sum(clip.processing_s for clip in self.clips)
        return {
            "dataset": self.dataset, "split": self.split, "language_mode": self.language_mode, "engine": self.engine,
            "clips": len(self.clips), "model_load_s": self.model_load_s, "audio_s": audio,
            "processing_s": processing, "real_time_factor": processing / audio if audio else None,
            "languages": self.languages(),
        }

    def to_dict(self) -> dict:
        clips = [{**{k: v for k, v in asdict(clip).items() if k != "score"}, "metric": clip.score.metric,
                  "error": clip.score.error, "error_before_normalisation": clip.score.error_before_normalisation,
                  "edits": clip.score.edits, "reference_length": clip.score.reference_length}
                 for clip in self.clips]
        return {"summary": self.summary(), "clips": clips}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def load_model(transcriber: Transcriber) -> float:
    """Seconds to load the model: the time of a first call on one second of silence (engines load lazily)."""
    started = time.perf_counter()
    transcription = transcriber.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32), "en")
    list(transcription.segments)
    return time.perf_counter() - started


def evaluate_asr(dataset_dir: Path, transcriber: Transcriber, split: str | None = "dev",
                 language_mode: str = "manifest", options: MediaOptions | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> AsrReport:
    if language_mode not in LANGUAGE_MODES:
        raise ValueError(f"language mode must be one of {LANGUAGE_MODES}, not {language_mode!r}")
    dataset_dir = Path(dataset_dir)
    clips = load_clips(dataset_dir, split)
    report = AsrReport(dataset=dataset_dir.name, split=split or "all", language_mode=language_mode,
                       engine=getattr(transcriber, "name", type(transcriber).__name__),
                       model_load_s=load_model(transcriber))
    options = options or MediaOptions()
    for done, clip in enumerate(clips, start=1):
        context = ParseContext(transcriber=lambda: transcriber, options=options,
                               language=spoken_language(clip.lang) if language_mode == "manifest" else None)
        started = time.perf_counter()
        language, blocks = transcribe_recording(clip.audio, clip.audio.name, clip.duration_s, context)
        processing = time.perf_counter() - started
        hypothesis = " ".join(block.text for block in blocks)
        report.clips.append(ClipResult(clip.clip_id, clip.lang, clip.reference_kind, language, clip.text,
                                       hypothesis, score_clip(hypothesis, clip.text, clip.lang), clip.duration_s,
                                       processing))
        if on_progress:
            on_progress(done, len(clips))
    return report


def format_report(report: AsrReport) -> str:
    summary = report.summary()
    rows = [f"{report.dataset} ({report.split}, {len(report.clips)} clips, engine {report.engine}, language "
            f"{'forced from the manifest' if report.language_mode == 'manifest' else 'detected'})",
            f"{'clip':<14} {'lang':<4} {'ref':<6} {'heard':<5} {'metric':<4} {'error':>6} {'raw':>6}  hypothesis "
            "| reference"]
    for clip in report.clips:
        rows.append(f"{clip.clip_id:<14} {clip.lang:<4} {clip.reference_kind:<6} {clip.detected_language or '-':<5} "
                    f"{clip.score.metric:<4} {clip.score.error:>6.3f} {clip.score.error_before_normalisation:>6.3f}"
                    f"  {clip.hypothesis} | {clip.reference}")
    rows.append("")
    rows.append(f"{'lang':<4} {'clips':>5} {'metric':<6} {'error':>6} {'raw':>6} {'mean/clip':>9} {'audio s':>8} "
                f"{'proc s':>7} {'RTF':>6}")
    for lang, figures in summary["languages"].items():
        rows.append(f"{lang:<4} {figures['clips']:>5} {figures['metric']:<6} {figures['error']:>6.3f} "
                    f"{figures['error_before_normalisation']:>6.3f} {figures['mean_clip_error']:>9.3f} "
                    f"{figures['audio_s']:>8.1f} {figures['processing_s']:>7.2f} {figures['real_time_factor']:>6.3f}")
    rtf = summary["real_time_factor"]
    rows.append(f"total: {summary['audio_s']:.1f} s of audio in {summary['processing_s']:.2f} s, RTF "
                f"{rtf:.3f}" if rtf is not None else "total: no audio")
    rows.append(f"model load: {summary['model_load_s']:.2f} s (excluded from the RTF)")
    rows.append("error: pooled WER (en, numbers as digits) / CER (zh, no punctuation, numbers as Chinese numerals); "
                "raw: the same before number normalisation")
    return "\n".join(rows)
