"""`zhiku eval ocr`: recognition quality and speed of the OCR engine on a page set, raw and after reading order.

Each page is scored twice: "raw" is the engine on the page as stored, its lines joined by newlines in the order
the engine returned them; "pipeline" is what ingestion indexes: `OcrPageReader` (page scaling, the engine, the
reading-order rebuild with filtering, row merging, column and table handling), paragraphs joined by newlines.

A set is a folder with `manifest.jsonl` rows `{_id, image, gt_text, lang, split}`; `image` and `gt_text` are
paths relative to the folder. Reference texts come from PDF text layers, so the scores are order-tolerant
where they can be: whitespace-free CER, and bag-of-words / bag-of-CJK-characters F1.
"""
from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from zhiku.core.types import BlockKind
from zhiku.evaluation.manifest import manifest_rows
from zhiku.evaluation.text_metrics import CJK_IDEOGRAPH, character_error_rate, cjk_char_f1, word_f1
from zhiku.ingest.ocr.engine import OcrEngine, OcrLine
from zhiku.ingest.ocr.page_reader import FixedScaling, OcrPageReader
from zhiku.ingest.ocr.reading_order import TABLE_CELL_SEPARATOR, OcrParagraph, ReadingOrderConfig, rebuild_reading_order

VARIANTS = ("raw", "pipeline")


@dataclass(frozen=True, slots=True)
class PageText:
    page_id: str
    image: Path
    reference: str
    lang: str
    layout_reference: str | None = None  # the same text layer laid out like the page (tables row by row)


@dataclass(frozen=True, slots=True)
class TextScores:
    cer: float
    word_f1: float  # for Chinese pages: over the non-CJK words only (commands, names, numbers)
    cjk_f1: float | None  # bag of CJK ideographs; None on pages whose reference has none
    # CER against the layout-preserving reference, where the set has one: it reads tables row by row, as the
    # pipeline does, while the plain text layer often reads a table column by column.
    layout_cer: float | None = None

    @property
    def f1(self) -> float:
        """The headline F1: CJK characters where the reference is Chinese, words otherwise."""
        return self.cjk_f1 if self.cjk_f1 is not None else self.word_f1


@dataclass(slots=True)
class PageResult:
    page_id: str
    lang: str
    engine_seconds: float
    reading_order_seconds: float
    lines: int
    scores: dict[str, TextScores]  # variant name → scores


@dataclass(slots=True)
class OcrReport:
    dataset: str
    split: str
    engine: str
    pages: list[PageResult] = field(default_factory=list)

    def summary(self) -> dict:
        """Per variant: median and mean CER and F1; shared: speed of the engine plus reading order."""
        if not self.pages:
            return {"dataset": self.dataset, "split": self.split, "engine": self.engine, "pages": 0}
        seconds = [page.engine_seconds + page.reading_order_seconds for page in self.pages]
        variants = {}
        for name in VARIANTS:
            scores = [page.scores[name] for page in self.pages]
            cjk = [s.cjk_f1 for s in scores if s.cjk_f1 is not None]
            layout = [s.layout_cer for s in scores if s.layout_cer is not None]
            variants[name] = {
                "median_cer": statistics.median(s.cer for s in scores),
                "mean_cer": statistics.fmean(s.cer for s in scores),
                "f1": statistics.fmean(s.f1 for s in scores),
                "word_f1": statistics.fmean(s.word_f1 for s in scores),
                "cjk_f1": statistics.fmean(cjk) if cjk else None,
                "median_layout_cer": statistics.median(layout) if layout else None,
                "mean_layout_cer": statistics.fmean(layout) if layout else None,
            }
        return {
            "dataset": self.dataset, "split": self.split, "engine": self.engine, "pages": len(self.pages),
            "seconds_per_page": statistics.fmean(seconds),
            "pages_per_minute": 60 * len(seconds) / sum(seconds) if sum(seconds) else None,
            "reading_order_ms_per_page": 1000 * statistics.fmean(p.reading_order_seconds for p in self.pages),
            "variants": variants,
        }

    def to_json(self) -> str:
        pages = [{**asdict(page), "scores": {name: {**asdict(s), "f1": s.f1} for name, s in page.scores.items()}}
                 for page in self.pages]
        return json.dumps({"summary": self.summary(), "pages": pages}, ensure_ascii=False, indent=2)


def load_pages(dataset_dir: Path, split: str | None = "dev", limit: int | None = None) -> list[PageText]:
    dataset_dir = Path(dataset_dir)
    pages: list[PageText] = []
    for row in manifest_rows(dataset_dir, split):
        reference = (dataset_dir / row["gt_text"]).read_text(encoding="utf-8")
        layout = row.get("gt_text_layout")
        layout_reference = (dataset_dir / layout).read_text(encoding="utf-8") if layout else None
        pages.append(PageText(row["_id"], dataset_dir / row["image"], reference, row.get("lang", "en"),
                              layout_reference))
        if limit is not None and len(pages) >= limit:
            break
    return pages


def score_text(hypothesis: str, reference: str, layout_reference: str | None = None) -> TextScores:
    has_cjk = bool(CJK_IDEOGRAPH.search(reference))
    if has_cjk:
        # Whitespace-split "words" of Chinese text are whole clauses; score the Latin words among them instead.
        latin_f1 = word_f1(CJK_IDEOGRAPH.sub(" ", hypothesis), CJK_IDEOGRAPH.sub(" ", reference))
    else:
        latin_f1 = word_f1(hypothesis, reference)
    return TextScores(cer=character_error_rate(hypothesis, reference), word_f1=latin_f1,
                      cjk_f1=cjk_char_f1(hypothesis, reference) if has_cjk else None,
                      layout_cer=character_error_rate(hypothesis, layout_reference) if layout_reference else None)


def raw_text(lines: list[OcrLine]) -> str:
    return "\n".join(line.text for line in lines)


def pipeline_text(lines: list[OcrLine], config: ReadingOrderConfig | None = None) -> str:
    return paragraphs_text(rebuild_reading_order(lines, config))


def paragraphs_text(paragraphs: list[OcrParagraph]) -> str:
    """Paragraphs one per line. The " | " between table cells is markup the recognizer never saw, so it is
    scored as a plain space; otherwise every table row would count its separators as inserted characters."""
    return "\n".join(paragraph.text.replace(TABLE_CELL_SEPARATOR, " ") if paragraph.kind is BlockKind.TABLE_ROW
                     else paragraph.text for paragraph in paragraphs)


def evaluate_ocr(dataset_dir: Path, engine: OcrEngine, split: str = "dev", limit: int | None = None,
                 config: ReadingOrderConfig | None = None,
                 on_progress: Callable[[int, int], None] | None = None, scale: float | None = None) -> OcrReport:
    """`scale`: enlarge every page by this factor in the pipeline variant instead of the product's rule."""
    dataset_dir = Path(dataset_dir)
    pages = load_pages(dataset_dir, split, limit)
    report = OcrReport(dataset=dataset_dir.name, split=split, engine=getattr(engine, "name", type(engine).__name__))
    reader = OcrPageReader(engine, config, FixedScaling(scale) if scale else None)
    for done, page in enumerate(pages, start=1):
        image = Image.open(page.image).convert("RGB")
        lines = engine.read_lines(np.asarray(image))
        started = time.perf_counter()
        paragraphs = reader.read(image)
        engine_seconds = time.perf_counter() - started  # the whole page as ingestion reads it
        started = time.perf_counter()
        rebuild_reading_order(lines, config)
        reading_order_seconds = time.perf_counter() - started
        ordered = paragraphs_text(paragraphs)
        report.pages.append(PageResult(
            page_id=page.page_id, lang=page.lang, engine_seconds=engine_seconds,
            reading_order_seconds=reading_order_seconds, lines=len(lines),
            scores={"raw": score_text(raw_text(lines), page.reference, page.layout_reference),
                    "pipeline": score_text(ordered, page.reference, page.layout_reference)},
        ))
        if on_progress:
            on_progress(done, len(pages))
    return report


def format_report(report: OcrReport) -> str:
    summary = report.summary()
    if not summary["pages"]:
        return f"{report.dataset} ({report.split}): no pages"
    has_cjk = any(v["cjk_f1"] is not None for v in summary["variants"].values())
    has_layout = any(v["median_layout_cer"] is not None for v in summary["variants"].values())
    header = f"{'variant':<10} {'median CER':>10} {'mean CER':>9} {'F1':>7} {'word F1':>8}"
    header += f" {'CJK F1':>7}" if has_cjk else ""
    header += f" {'median layout CER':>17} {'mean layout CER':>15}" if has_layout else ""
    rows = [f"{report.dataset} ({report.split}, {summary['pages']} pages, engine {report.engine})", header]
    for name, v in summary["variants"].items():
        row = f"{name:<10} {v['median_cer']:>10.4f} {v['mean_cer']:>9.4f} {v['f1']:>7.4f} {v['word_f1']:>8.4f}"
        if has_cjk:
            row += f" {v['cjk_f1']:>7.4f}" if v["cjk_f1"] is not None else f" {'-':>7}"
        if has_layout:
            row += f" {v['median_layout_cer']:>17.4f} {v['mean_layout_cer']:>15.4f}"
        rows.append(row)
    rows.append(f"speed: {summary['pages_per_minute']:.1f} pages/min, {summary['seconds_per_page']:.2f} s/page "
                f"(reading order {summary['reading_order_ms_per_page']:.1f} ms/page)")
    if has_layout:
        rows.append("layout CER: against the layout-preserving text layer (tables row by row, as the pipeline reads "
                    "them); plain CER's reference often reads a table column by column")
    if has_cjk:
        rows.append("F1 = CJK-character F1 on Chinese pages, word F1 otherwise; word F1 on Chinese pages counts "
                    "only non-CJK words")
    return "\n".join(rows)
