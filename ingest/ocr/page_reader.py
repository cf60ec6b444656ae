"""One page image in, paragraphs in reading order out: the OCR engine plus the reading-order rebuild."""
from __future__ import annotations

import numpy as np
from PIL import Image

from ingest.ocr.engine import OcrEngine
from ingest.ocr.reading_order import OcrParagraph, ReadingOrderConfig, rebuild_reading_order

# The detector works on a resized copy anyway; beyond this the extra pixels only cost time and memory.
_MAX_SIDE = 4000


class OcrPageReader:
    def __init__(self, engine: OcrEngine, reading_order: ReadingOrderConfig | None = None):
        self.engine = engine
        self.reading_order = reading_order or ReadingOrderConfig()

    def read(self, image: Image.Image) -> list[OcrParagraph]:
        """Paragraphs with boxes in the pixels of `image` as given."""
        scale = 1.0
        if max(image.size) > _MAX_SIDE:
            scale = _MAX_SIDE / max(image.size)
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
        pixels = np.asarray(image.convert("RGB"))
        lines = self.engine.read_lines(pixels)
        paragraphs = rebuild_reading_order(lines, self.reading_order)
        if scale == 1.0:
            return paragraphs
        return [
            OcrParagraph(p.text, tuple(v / scale for v in p.bbox), p.kind, p.score)  # type: ignore[arg-type]
            for p in paragraphs
        ]
