"""`zhiku eval media-speed`: how fast OCR and speech-to-text run on this machine, and that a long recording is
transcribed in bounded memory.

- OCR: pages per minute of `OcrPageReader` (engine + reading order) over the first pages of page sets; model
  load is timed apart.
- Speech: real-time factor on the ASR clip set (through `evaluation.asr_eval`).
- Long recording: a synthetic recording (low noise, with a spoken English sentence every few minutes) is made
  with espeak-ng and ffmpeg, encoded as MP3, and transcribed through the product path (`transcribe_recording`,
  ffmpeg streaming windows of `asr_window_seconds`). Each length runs in a fresh process, so the peak resident
  memory (sampled from /proc/self/status, and getrusage's maxrss) belongs to that run alone; it is compared with
  the resident memory right after the model is loaded. ffmpeg's own memory is another process and not counted.
"""
from __future__ import annotations

import json
import multiprocessing
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from zhiku.ingest.speech.transcriber import SAMPLE_RATE

_BYTES_PER_SAMPLE = 4  # float32, as the windows hold them
# Sentences of the synthetic recording, cycled; read by espeak-ng's US English voice.
LONG_RECORDING_SENTENCES = (
    "The quarterly report on customer deposits is ready for review.",
    "Please check the loan agreement before the meeting on Friday.",
    "Our branch will open an hour later because of the system upgrade.",
    "The compliance team asked for a copy of the signed contract.",
    "Interest rates on savings accounts remain unchanged this month.",
    "Remember to lock your computer when you leave the office.",
)


# -- resident memory -----------------------------------------------------------------------------------


def current_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def max_rss_mb() -> float:
    """Highest resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Samples this process's resident memory in a background thread; `peak_mb` is the highest seen."""

    def __init__(self, interval_s: float = 0.5):
        self.interval_s = interval_s
        self.peak_mb = current_rss_mb()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak_mb = max(self.peak_mb, current_rss_mb())
            self.samples += 1

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, current_rss_mb())


# -- OCR -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OcrSpeed:
    dataset: str
    pages: int
    seconds: float  # image decode + OCR engine + reading order, model loaded
    megapixels_per_page: float

    @property
    def pages_per_minute(self) -> float:
        return 60 * self.pages / self.seconds if self.seconds else 0.0


def first_page_images(dataset_dir: Path, pages: int) -> list[Path]:
    """The first `pages` images in manifest order, whatever their split."""
    images = []
    with open(Path(dataset_dir) / "manifest.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and len(images) < pages:
                images.append(Path(dataset_dir) / json.loads(line)["image"])
    return images


def load_ocr_model(reader) -> float:
    """Seconds for the engine to load its models: a first read of a small blank image (engines load lazily)."""
    started = time.perf_counter()
    reader.read(Image.new("RGB", (64, 64), "white"))
    return time.perf_counter() - started


def measure_ocr_speed(reader, dataset_dir: Path, pages: int,
                      on_page: Callable[[], None] | None = None) -> OcrSpeed:
    images = first_page_images(dataset_dir, pages)
    seconds, megapixels = 0.0, 0.0
    for path in images:
        started = time.perf_counter()
        with Image.open(path) as image:
            image.load()
            megapixels += image.width * image.height / 1e6
            reader.read(image)
        seconds += time.perf_counter() - started
        if on_page:
            on_page()
    return OcrSpeed(Path(dataset_dir).name, len(images), seconds, megapixels / len(images) if images else 0.0)


# -- synthetic long recording ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpokenSentence:
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True, slots=True)
class SyntheticRecording:
    path: Path
    duration_s: float
    sentences: list[SpokenSentence]
    synthesis_s: float
    size_bytes: int


def speak(text: str, folder: Path, ffmpeg: str = "ffmpeg", espeak: str = "espeak-ng") -> np.ndarray:
    """One sentence as float32 16 kHz mono samples, from espeak-ng's US English voice."""
    wav = folder / "sentence.wav"
    subprocess.run([espeak, "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    decoded = subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-i", str(wav), "-ac", "1", "-ar", str(SAMPLE_RATE),
                              "-f", "f32le", "-"], check=True, capture_output=True).stdout
    wav.unlink()
    return np.frombuffer(decoded, dtype=np.float32) * 0.8  # a little headroom under the noise-free peak


def synthesise_long_recording(folder: Path, duration_s: float, interval_s: float = 300, first_s: float = 30,
                              noise_level: float = 0.002, ffmpeg: str = "ffmpeg", seed: int = 7) -> SyntheticRecording:
    """Low white noise (about -54 dBFS) with a sentence at `first_s` and then every `interval_s`, as MP3.

    The samples are generated a minute at a time and piped into ffmpeg, so even three hours never sit in memory.
    """
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    spoken = [speak(text, folder, ffmpeg) for text in LONG_RECORDING_SENTENCES]
    sentences: list[SpokenSentence] = []
    placed: list[tuple[int, np.ndarray]] = []  # start sample, samples
    start = first_s
    while start + len(spoken[len(placed) % len(spoken)]) / SAMPLE_RATE < duration_s:
        samples = spoken[len(placed) % len(spoken)]
        sentences.append(SpokenSentence(start, round(start + len(samples) / SAMPLE_RATE, 2),
                                        LONG_RECORDING_SENTENCES[len(placed) % len(spoken)]))
        placed.append((int(start * SAMPLE_RATE), samples))
        start += interval_s
    path = folder / f"long_{int(duration_s)}s.mp3"
    encoder = subprocess.Popen([ffmpeg, "-nostdin", "-v", "error", "-y", "-f", "s16le", "-ar", str(SAMPLE_RATE),
                                "-ac", "1", "-i", "-", "-c:a", "libmp3lame", "-b:a", "32k", str(path)],
                               stdin=subprocess.PIPE)
    assert encoder.stdin is not None
    rng = np.random.default_rng(seed)
    total = int(duration_s * SAMPLE_RATE)
    chunk = 60 * SAMPLE_RATE
    for chunk_start in range(0, total, chunk):
        chunk_end = min(chunk_start + chunk, total)
        block = rng.normal(0.0, noise_level, chunk_end - chunk_start).astype(np.float32)
        for sentence_start, samples in placed:
            low, high = max(sentence_start, chunk_start), min(sentence_start + len(samples), chunk_end)
            if low < high:
                block[low - chunk_start:high - chunk_start] += samples[low - sentence_start:high - sentence_start]
        encoder.stdin.write((np.clip(block, -1, 1) * 32767).astype("<i2").tobytes())
    encoder.stdin.close()
    if encoder.wait() != 0:
        raise RuntimeError(f"ffmpeg could not encode {path}")
    return SyntheticRecording(path, duration_s, sentences, time.perf_counter() - started, path.stat().st_size)


# -- long-recording transcription (runs in its own process) -----------------------------------------------


@dataclass(slots=True)
class LongRecordingResult:
    duration_s: float
    window_s: float
    file_mb: float
    model_load_s: float
    wall_s: float  # ffmpeg decode + transcription of the whole recording, model loaded
    real_time_factor: float
    rss_before_model_mb: float  # interpreter + imports
    rss_after_model_mb: float
    peak_rss_mb: float  # sampled every 0.5 s during the transcription
    max_rss_mb: float  # getrusage: the highest of the whole process, model load included
    rss_samples: int
    rss_at_window_mb: list[float]  # resident memory as each window reaches the engine: flat if memory is bounded
    windows: int
    blocks: int
    sentences: int
    sentences_found: int  # sentences where a block starts (±2 s around the spoken sentence)
    blocks_spanning_sentences: int  # blocks whose start and end straddle two inserted sentences minutes apart
    blocks_outside_sentences: int  # text where only noise was: hallucinations
    max_start_offset_s: float | None  # largest |block start - sentence start| over the found sentences
    transcript_wer: float | None  # all blocks against all spoken sentences, in order (numbers as digits)
    first_sentence: dict = field(default_factory=dict)
    last_sentence: dict = field(default_factory=dict)

    @property
    def growth_mb(self) -> float:
        return self.peak_rss_mb - self.rss_after_model_mb


def window_bound_mb(window_s: float) -> float:
    """Samples of one window as float32 — what the streaming design holds beyond the model (MB, 10^6 bytes)."""
    return window_s * SAMPLE_RATE * _BYTES_PER_SAMPLE / 1e6


class _WindowCountingTranscriber:
    """Passes calls through; `transcribe_recording` calls it once per window, which is what is counted."""

    def __init__(self, inner):
        self.inner = inner
        self.name = getattr(inner, "name", type(inner).__name__)
        self.rss_at_window_mb: list[float] = []

    def transcribe(self, samples: np.ndarray, language: str | None):
        self.rss_at_window_mb.append(round(current_rss_mb(), 1))
        return self.inner.transcribe(samples, language)


def transcribe_long_recording(path: str, duration_s: float, window_s: float, sentences: list[dict],
                              language: str = "en") -> dict:
    """Entry point of the measuring process: load the model, then transcribe `path` as an upload would be."""
    from zhiku.core.settings import get_settings
    from zhiku.evaluation.asr_eval import load_model
    from zhiku.evaluation.text_metrics import edit_distance, normalize_numbers_en, words
    from zhiku.ingest.parse_context import MediaOptions, ParseContext
    from zhiku.ingest.speech.factory import make_transcriber
    from zhiku.ingest.speech.recording_transcript import transcribe_recording

    settings = get_settings()
    rss_before = current_rss_mb()
    transcriber = _WindowCountingTranscriber(make_transcriber(settings))
    model_load_s = load_model(transcriber.inner)
    rss_after = current_rss_mb()
    name = Path(path).name
    last_printed = [0.0]

    def progress(stage: str, fraction: float, detail: str) -> None:
        if time.perf_counter() - last_printed[0] >= 10:  # a line every 10 s at most: it goes to a terminal
            last_printed[0] = time.perf_counter()
            print(f"  [{name}] {detail} after {time.perf_counter() - started:.0f} s, RSS {current_rss_mb():.0f} MB",
                  file=sys.stderr, flush=True)

    context = ParseContext(transcriber=lambda: transcriber, language=language, progress=progress,
                           options=MediaOptions(asr_window_seconds=window_s, ffmpeg=settings.ffmpeg_binary,
                                                ffprobe=settings.ffprobe_binary))
    with RssSampler() as sampler:
        started = time.perf_counter()
        _, blocks = transcribe_recording(Path(path), name, duration_s, context)
        wall_s = time.perf_counter() - started

    spoken = [SpokenSentence(**sentence) for sentence in sentences]
    starting_in: dict[int, list] = {i: [] for i in range(len(spoken))}
    overlapping: dict[int, list] = {i: [] for i in range(len(spoken))}
    spanning = outside = 0
    for block in blocks:
        overlapped = [i for i, s in enumerate(spoken) if block.start_s < s.end_s + 2 and block.end_s > s.start_s - 2]
        spanning += len(overlapped) > 1
        outside += not overlapped
        for i in overlapped:
            overlapping[i].append(block)
        for i, sentence in enumerate(spoken):
            if sentence.start_s - 2 <= block.start_s <= sentence.end_s + 2:
                starting_in[i].append(block)
    found = {i: heard for i, heard in starting_in.items() if heard}
    offsets = [abs(heard[0].start_s - spoken[i].start_s) for i, heard in found.items()]
    hyp_words = words(normalize_numbers_en(" ".join(block.text for block in blocks)))
    ref_words = words(normalize_numbers_en(" ".join(sentence.text for sentence in spoken)))

    def describe(i: int) -> dict:
        # Blocks starting at the sentence; else the block that covers it (one stretched over an earlier sentence).
        heard = starting_in[i] or overlapping[i]
        return {"inserted_s": spoken[i].start_s, "spoken_end_s": spoken[i].end_s, "text": spoken[i].text,
                "block_starts_here": bool(starting_in[i]),
                "block_start_s": heard[0].start_s if heard else None, "block_end_s": heard[-1].end_s if heard else None,
                "heard": " ".join(block.text for block in heard)}

    result = LongRecordingResult(
        duration_s=duration_s, window_s=window_s, file_mb=Path(path).stat().st_size / 1e6, model_load_s=model_load_s,
        wall_s=wall_s, real_time_factor=wall_s / duration_s, rss_before_model_mb=rss_before,
        rss_after_model_mb=rss_after, peak_rss_mb=sampler.peak_mb, max_rss_mb=max_rss_mb(),
        rss_samples=sampler.samples, rss_at_window_mb=transcriber.rss_at_window_mb,
        windows=len(transcriber.rss_at_window_mb), blocks=len(blocks), sentences=len(spoken),
        sentences_found=len(found), blocks_spanning_sentences=spanning, blocks_outside_sentences=outside,
        max_start_offset_s=max(offsets) if offsets else None,
        transcript_wer=edit_distance(hyp_words, ref_words) / len(ref_words) if ref_words else None,
        first_sentence=describe(0) if spoken else {}, last_sentence=describe(len(spoken) - 1) if spoken else {},
    )
    return {**asdict(result), "growth_mb": result.growth_mb}


def measure_long_recording(recording: SyntheticRecording, window_s: float, language: str = "en") -> dict:
    """Runs `transcribe_long_recording` in a freshly spawned process, so its memory figures are its own.

    Linux carries a process's high-water RSS across fork + exec, so the child's maxrss is at least this process's
    RSS at the fork: measure before loading other models here (`parent_rss_at_spawn_mb` is reported to check).
    """
    sentences = [asdict(sentence) for sentence in recording.sentences]
    parent_rss = current_rss_mb()
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(transcribe_long_recording, str(recording.path), recording.duration_s, window_s,
                             sentences, language).result()
    return {**result, "parent_rss_at_spawn_mb": parent_rss}


# -- the report ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class MediaSpeedReport:
    ocr_model_load_s: float | None = None
    ocr: list[OcrSpeed] = field(default_factory=list)
    asr: dict | None = None  # summary of evaluation.asr_eval
    long_recordings: list[dict] = field(default_factory=list)
    synthesis: list[dict] = field(default_factory=list)
    machine: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "machine": self.machine,
            "ocr": {"model_load_s": self.ocr_model_load_s,
                    "sets": [{**asdict(speed), "pages_per_minute": speed.pages_per_minute} for speed in self.ocr]},
            "asr": self.asr,
            "long_recordings": self.long_recordings,
            "synthesis": self.synthesis,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def machine_description() -> dict:
    info: dict = {"cpus": multiprocessing.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
                               None)
        with open("/proc/loadavg", encoding="ascii") as loadavg:
            info["load_average_at_start"] = loadavg.read().split()[:3]
    except OSError:
        pass
    return info


def format_report(report: MediaSpeedReport) -> str:
    rows = [f"machine: {report.machine.get('cpu')}, {report.machine.get('cpus')} CPUs, load average at start "
            f"{' '.join(report.machine.get('load_average_at_start', []))}"]
    if report.ocr:
        rows += ["", f"OCR (model load {report.ocr_model_load_s:.2f} s, excluded)",
                 f"{'set':<16} {'pages':>5} {'seconds':>8} {'pages/min':>9} {'MP/page':>7}"]
        for speed in report.ocr:
            rows.append(f"{speed.dataset:<16} {speed.pages:>5} {speed.seconds:>8.1f} {speed.pages_per_minute:>9.1f} "
                        f"{speed.megapixels_per_page:>7.2f}")
        pages = sum(speed.pages for speed in report.ocr)
        seconds = sum(speed.seconds for speed in report.ocr)
        rows.append(f"{'all':<16} {pages:>5} {seconds:>8.1f} {60 * pages / seconds if seconds else 0:>9.1f}")
    if report.asr:
        asr = report.asr
        rows += ["", f"Speech clips ({asr['clips']} clips, language forced): {asr['audio_s']:.1f} s of audio in "
                     f"{asr['processing_s']:.2f} s, RTF {asr['real_time_factor']:.3f}; model load "
                     f"{asr['model_load_s']:.2f} s (excluded)"]
        for lang, figures in asr["languages"].items():
            rows.append(f"  {lang}: RTF {figures['real_time_factor']:.3f} ({figures['audio_s']:.1f} s)")
    if report.long_recordings:
        rows += ["", "Long recording (synthetic: noise + a sentence every 5 min; one fresh process each)",
                 f"{'length':>7} {'window':>6} {'wall s':>7} {'RTF':>6} {'RSS model':>9} {'peak RSS':>8} "
                 f"{'growth':>6} {'maxrss':>6} {'windows':>7} {'blocks':>6} {'found':>7} {'span':>4} {'extra':>5} "
                 f"{'max Δt':>6} {'WER':>5}"]
        for run in report.long_recordings:
            rows.append(f"{run['duration_s'] / 3600:>6.2f}h {run['window_s']:>6.0f} {run['wall_s']:>7.1f} "
                        f"{run['real_time_factor']:>6.4f} {run['rss_after_model_mb']:>9.0f} {run['peak_rss_mb']:>8.0f} "
                        f"{run['growth_mb']:>6.0f} {run['max_rss_mb']:>6.0f} {run['windows']:>7} {run['blocks']:>6} "
                        f"{run['sentences_found']:>3}/{run['sentences']:<3} {run['blocks_spanning_sentences']:>4} "
                        f"{run['blocks_outside_sentences']:>5} "
                        f"{run['max_start_offset_s'] if run['max_start_offset_s'] is not None else float('nan'):>6.2f}"
                        f" {run['transcript_wer'] if run['transcript_wer'] is not None else float('nan'):>5.3f}")
        for run in report.long_recordings:
            at_window = run["rss_at_window_mb"]
            rows.append(f"  {run['duration_s'] / 3600:g}h RSS as windows start: min {min(at_window):.0f}, max "
                        f"{max(at_window):.0f} MB over {len(at_window)} windows; parent RSS at spawn "
                        f"{run.get('parent_rss_at_spawn_mb', float('nan')):.0f} MB (a floor under maxrss)")
            for which in ("first_sentence", "last_sentence"):
                sentence = run[which]
                if sentence:
                    rows.append(f"  {run['duration_s'] / 3600:g}h {which.replace('_', ' ')}: spoken "
                                f"{sentence['inserted_s']:.1f}–{sentence['spoken_end_s']:.1f} s, block "
                                f"{sentence['block_start_s']}–{sentence['block_end_s']} s"
                                f"{'' if sentence.get('block_starts_here') else ' (starts at an earlier sentence)'}: "
                                f"{sentence['heard']!r}")
        rows.append("found: sentences where a block starts (±2 s); span: blocks stretched over two or more sentences "
                    "minutes apart; extra: blocks over noise only; max Δt: worst start offset of a found sentence; "
                    "WER: whole transcript against the spoken sentences")
        window_s = report.long_recordings[0]["window_s"]
        rows.append(f"bound: one window of samples, {window_s:.0f} s × {SAMPLE_RATE} Hz × {_BYTES_PER_SAMPLE} B = "
                    f"{window_bound_mb(window_s):.1f} MB (transiently ~2× while the next window is assembled and the "
                    "engine copies it), plus the model; memory in MB of 2^20 bytes; growth = peak RSS − RSS after "
                    "model load")
    return "\n".join(rows)


def temporary_folder(parent: Path | None = None) -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix="zhiku-media-speed-", dir=parent))


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
