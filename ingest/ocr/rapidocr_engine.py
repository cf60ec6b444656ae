"""Default OCR engine: RapidOCR running PaddleOCR's PP-OCR models (shipped in the wheel) on onnxruntime."""
from __future__ import annotations

import logging
import threading

import numpy as np

from zhiku.core.errors import ConfigurationError
from zhiku.ingest.ocr.engine import OcrLine, quad_to_bbox


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self, threads: int = 2):
        self._threads = threads
        self._engine = None
        # One onnxruntime session per model is shared; RapidOCR keeps per-call state on the object, so
        # calls are serialised (each call already uses every configured thread).
        self._lock = threading.Lock()

    def _load(self):
        if self._engine is None:
            try:
                from rapidocr import RapidOCR
            except ImportError as exc:  # pragma: no cover - a broken install
                raise ConfigurationError("rapidocr is not installed; reinstall Zhiku (pip install -e .)") from exc
            logging.getLogger("RapidOCR").setLevel(logging.WARNING)  # it logs every model path at INFO
            self._engine = RapidOCR(params={
                "Global.log_level": "warning",
                "EngineConfig.onnxruntime.intra_op_num_threads": self._threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            })
        return self._engine

    def read_lines(self, image: np.ndarray) -> list[OcrLine]:
        with self._lock:
            engine = self._load()
            # RapidOCR expects OpenCV's BGR channel order for arrays.
            result = engine(np.ascontiguousarray(image[:, :, ::-1]))
        if result.boxes is None or result.txts is None:
            return []
        return [
            OcrLine(text=text.strip(), bbox=quad_to_bbox(box), score=float(score))
            for box, text, score in zip(result.boxes, result.txts, result.scores, strict=True)
            if text and text.strip()
        ]
