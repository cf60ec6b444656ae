"""One page image in, paragraphs in reading order out: scaling, the OCR engine, the reading-order rebuild."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from zhiku.ingest.ocr.engine import OcrEngine
from zhiku.ingest.ocr.reading_order import OcrParagraph, ReadingOrderConfig, rebuild_reading_order


@dataclass(frozen=True, slots=True)
class PageScaling:
    """Page images of 150–200 dpi are enlarged before recognition; others are read as they are.

    Measured (docs/benchmarks.md): body text of a 150 dpi page is ~20 px high and the recognizer reads it
    markedly better at ~1.5× (debian_docs_zh median CER 0.115 → 0.081, financebench pages F1 0.985 → 0.986);
    low-resolution scans (FUNSD forms, ~100 dpi, 1000 px long side) lose words when enlarged (F1 0.808 →
    0.796–0.799). Very large images are reduced: the detector works on a resized copy anyway.
    """

    min_source_long_side: int = 1500  # below this (≤ ~120 dpi pages, video frames, small photos): no enlarging
    target_long_side: int = 2600  # an A4 page at ~220 dpi
    max_long_side: int = 4000

    def factor(self, size: tuple[int, int]) -> float:
        long_side = max(size)
        if self.min_source_long_side <= long_side < self.target_long_side:
            return self.target_long_side / long_side
        if long_side > self.max_long_side:
            return self.max_long_side / long_side
        return 1.0


@dataclass(frozen=True, slots=True)
class FixedScaling:
    """One factor for every page (to measure what scaling does: `zhiku eval ocr --scale`)."""

    scale: float

    def factor(self, size: tuple[int, int]) -> float:
        return self.scale


class OcrPageReader:
    def __init__(self, engine: OcrEngine, reading_order: ReadingOrderConfig | None = None,
                 scaling: PageScaling | FixedScaling | None = None):
        self.engine = engine
        self.reading_order = reading_order or ReadingOrderConfig()
        self.scaling = scaling or PageScaling()

    def read(self, image: Image.Image) -> list[OcrParagraph]:
        """Paragraphs with boxes in the pixels of `image` as given."""
        scale = self.scaling.factor(image.size)
        if scale != 1.0:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
        pixels = np.asarray(image.convert("RGB"))
        paragraphs = rebuild_reading_order(self.engine.read_lines(pixels), self.reading_order)
        if scale == 1.0:
            return paragraphs
        return [
            OcrParagraph(p.text, tuple(round(v / scale, 1) for v in p.bbox), p.kind, p.score)  # type: ignore[arg-type]
            for p in paragraphs
        ]
