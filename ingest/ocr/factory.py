"""Builds the configured OCR engine (loaded lazily, once per process, by the runtime)."""
from __future__ import annotations

from core.settings import Settings
from ingest.ocr.engine import OcrEngine


def make_ocr_engine(settings: Settings) -> OcrEngine:
    if settings.ocr_engine == "paddleocr":
        from ingest.ocr.paddleocr_engine import PaddleOcrEngine

        return PaddleOcrEngine(settings.paddleocr_model_dir)
    from ingest.ocr.rapidocr_engine import RapidOcrEngine

    return RapidOcrEngine(threads=settings.model_threads)
