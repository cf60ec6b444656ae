"""What every OCR engine returns: text lines with their box and confidence, in image pixels."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One detected text line. `bbox` is the axis-aligned hull of the engine's quadrilateral."""

    text: str
    bbox: BBox  # x0, y0, x1, y1 in pixels, origin top-left
    score: float

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]

    @property
    def width(self) -> float:
        return self.bbox[2] - self.bbox[0]


class OcrEngine(Protocol):
    """Detects and recognizes text lines in one RGB image (H × W × 3, uint8).

    Implementations load their models once, on first use, and are safe to call from several threads.
    """

    name: str

    def read_lines(self, image: np.ndarray) -> list[OcrLine]: ...


def quad_to_bbox(quad) -> BBox:
    points = np.asarray(quad, dtype=float).reshape(-1, 2)
    return (float(points[:, 0].min()), float(points[:, 1].min()), float(points[:, 0].max()), float(points[:, 1].max()))
