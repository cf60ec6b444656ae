"""Builds the configured OCR engine (loaded lazily, once per process, by the runtime)."""
from __future__ import annotations

from zhiku.core.settings import Settings
from zhiku.ingest.ocr.engine import OcrEngine


def make_ocr_engine(settings: Settings) -> OcrEngine:
    if settings.ocr_engine == "paddleocr":
        from zhiku.ingest.ocr.paddleocr_engine import PaddleOcrEngine

        return PaddleOcrEngine(settings.paddleocr_model_dir)
    from zhiku.ingest.ocr.rapidocr_engine import RapidOcrEngine

    return RapidOcrEngine(threads=settings.model_threads)
