"""PaddleOCR 3.x as an OCR engine, for sites that have its models on disk (it cannot download them here)."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from zhiku.core.errors import ConfigurationError
from zhiku.ingest.ocr.engine import OcrLine, quad_to_bbox


class PaddleOcrEngine:
    name = "paddleocr"

    def __init__(self, model_dir: str | Path | None):
        if not model_dir:
            raise ConfigurationError(
                "ZHIKU_OCR_ENGINE=paddleocr needs ZHIKU_PADDLEOCR_MODEL_DIR: a folder with the PP-OCR "
                "'det' and 'rec' model folders (PaddleOCR cannot download them on this network)."
            )
        self._model_dir = Path(model_dir)
        self._engine = None
        self._lock = threading.Lock()

    def _load(self):
        if self._engine is None:
            det, rec = self._model_dir / "det", self._model_dir / "rec"
            missing = [str(p) for p in (det, rec) if not p.is_dir()]
            if missing:
                raise ConfigurationError(f"PaddleOCR model folders not found: {', '.join(missing)}")
            try:
                from paddleocr import PaddleOCR
            except ImportError as exc:
                raise ConfigurationError("ZHIKU_OCR_ENGINE=paddleocr but paddleocr is not installed "
                                         "(pip install paddleocr paddlepaddle)") from exc
            self._engine = PaddleOCR(
                text_detection_model_dir=str(det), text_recognition_model_dir=str(rec),
                use_doc_orientation_classify=False, use_doc_unwarping=False, use_textline_orientation=False,
            )
        return self._engine

    def read_lines(self, image: np.ndarray) -> list[OcrLine]:
        with self._lock:
            results = self._load().predict(np.ascontiguousarray(image[:, :, ::-1]))
        lines = []
        for result in results:
            for text, score, poly in zip(result["rec_texts"], result["rec_scores"], result["rec_polys"], strict=True):
                if text and text.strip():
                    lines.append(OcrLine(text=text.strip(), bbox=quad_to_bbox(poly), score=float(score)))
        return lines
