"""`zhiku eval ocr`, `asr` and `media-speed`: reading scans and recordings, quality and speed."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from tqdm import tqdm

from zhiku.core.settings import get_settings


def eval_ocr(dataset: Path = typer.Option(..., help="An OCR page set, e.g. ../shared/eval/ocr/funsd_en"),
             split: str = typer.Option("dev", help="Manifest split to read"),
             limit: Optional[int] = typer.Option(None, help="Only the first N pages"),
             output: Optional[Path] = typer.Option(None, help="Also write the report (with per-page scores) as JSON"),
             scale: Optional[float] = typer.Option(None, help="Enlarge every page by this factor in the pipeline "
                                                   "variant instead of the product's page-scaling rule")):
    """CER and bag-of-words / CJK-character F1 of the OCR engine, raw line order vs reading-order rebuild."""
    from zhiku.evaluation.ocr_eval import evaluate_ocr, format_report
    from zhiku.ingest.ocr.factory import make_ocr_engine

    engine = make_ocr_engine(get_settings())
    with tqdm(unit="page", desc=f"reading {dataset.name}", file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = evaluate_ocr(dataset, engine, split, limit, on_progress=progress, scale=scale)
    typer.echo(format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.to_json())


def eval_asr(dataset: Path = typer.Option(..., help="A speech clip set, e.g. ../shared/eval/asr"),
             split: str = typer.Option("dev", help="Manifest split to transcribe"),
             language: str = typer.Option("manifest", help="manifest: force each clip's language (as an upload "
                                          "to a knowledge base does); auto: detect it"),
             output: Optional[Path] = typer.Option(None, help="Also write the report (with per-clip texts) as JSON")):
    """English WER (numbers as digits) and Chinese CER (no punctuation) of the speech-to-text engine, with RTF."""
    from zhiku.evaluation.asr_eval import LANGUAGE_MODES, evaluate_asr, format_report
    from zhiku.ingest.speech.factory import make_transcriber

    if language not in LANGUAGE_MODES:
        raise typer.BadParameter(f"--language must be one of {', '.join(LANGUAGE_MODES)}")
    settings = get_settings()
    from zhiku.api.runtime import Runtime

    options = Runtime(settings).media_options
    with tqdm(unit="clip", desc=f"transcribing {dataset.name}", file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = evaluate_asr(dataset, make_transcriber(settings), split, language, options, on_progress=progress)
    typer.echo(format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.to_json())


def eval_media_speed(ocr_dataset: list[Path] = typer.Option(
                         [Path("../shared/eval/ocr/debian_docs_zh"), Path("../shared/eval/ocr/funsd_en")],
                         help="OCR page sets (repeat the option)"),
                     pages: int = typer.Option(10, help="OCR: the first N pages of each set"),
                     asr_dataset: Path = typer.Option(Path("../shared/eval/asr"), help="Speech clips for the RTF"),
                     hours: list[float] = typer.Option([1.0, 3.0], help="Lengths of the synthetic recordings "
                                                       "(repeat the option)"),
                     window_seconds: Optional[float] = typer.Option(None, help="ASR window (default "
                                                                    "ZHIKU_ASR_WINDOW_SECONDS)"),
                     skip_ocr: bool = typer.Option(False, help="Leave out the OCR pages/min"),
                     skip_asr: bool = typer.Option(False, help="Leave out the speech clips' RTF"),
                     skip_long: bool = typer.Option(False, help="Leave out the long recordings"),
                     output: Optional[Path] = typer.Option(None, help="Also write the report as JSON here")):
    """OCR pages/min, speech real-time factor, and peak memory while transcribing hours-long recordings."""
    from zhiku.evaluation import media_benchmark as bench
    from zhiku.evaluation.asr_eval import evaluate_asr
    from zhiku.ingest.ocr.factory import make_ocr_engine
    from zhiku.ingest.ocr.page_reader import OcrPageReader
    from zhiku.ingest.parse_context import MediaOptions
    from zhiku.ingest.speech.factory import make_transcriber

    settings = get_settings()
    window_s = window_seconds or settings.asr_window_seconds
    report = bench.MediaSpeedReport(machine=bench.machine_description())
    # Long recordings first: each runs in a spawned process, which inherits this process's high-water RSS;
    # measured before the OCR and clip models load here, the child's maxrss is its own.
    if not skip_long:
        folder = bench.temporary_folder()
        try:
            for length in hours:
                typer.echo(f"synthesising a {length:g} h recording in {folder} ...", err=True)
                recording = bench.synthesise_long_recording(folder, length * 3600, ffmpeg=settings.ffmpeg_binary)
                report.synthesis.append({"duration_s": recording.duration_s, "seconds": recording.synthesis_s,
                                         "file_mb": recording.size_bytes / 1e6, "sentences": len(recording.sentences)})
                typer.echo(f"transcribing it ({len(recording.sentences)} sentences) in a fresh process ...", err=True)
                report.long_recordings.append(bench.measure_long_recording(recording, window_s))
                recording.path.unlink()
        finally:
            bench.remove_folder(folder)
    if not skip_ocr:
        reader = OcrPageReader(make_ocr_engine(settings))
        report.ocr_model_load_s = bench.load_ocr_model(reader)
        for dataset in ocr_dataset:
            with tqdm(total=pages, unit="page", desc=f"OCR {dataset.name}", file=sys.stderr) as bar:
                report.ocr.append(bench.measure_ocr_speed(reader, dataset, pages, on_page=lambda: bar.update(1)))
    if not skip_asr:
        options = MediaOptions(asr_window_seconds=window_s, ffmpeg=settings.ffmpeg_binary,
                               ffprobe=settings.ffprobe_binary)
        with tqdm(unit="clip", desc="speech clips", file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            report.asr = evaluate_asr(asr_dataset, make_transcriber(settings), "dev", "manifest", options,
                                      on_progress=progress).summary()
    typer.echo(bench.format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.to_json())


def register(group: typer.Typer) -> None:
    group.command("ocr")(eval_ocr)
    group.command("asr")(eval_asr)
    group.command("media-speed")(eval_media_speed)
