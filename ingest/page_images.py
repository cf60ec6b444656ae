"""One page of a stored document as a PNG, with the size of the page in the units its bounding boxes use.

Citations give boxes in PDF points on PDF pages and in pixels of the upright image on images (see
core/types.py); the page size is returned in the same unit, so a viewer can place a box by proportion
whatever size it shows the picture at.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence

from zhiku.core.errors import CorruptFile, InvalidInput, LimitExceeded, NotFound
from zhiku.ingest.file_types import FileType
from zhiku.ingest.parse_limits import check_pixels

MAX_PREVIEW_PX = 1600
_EXIF_ORIENTATION = 0x0112
_QUARTER_TURNS = {5, 6, 7, 8}


@dataclass(slots=True)
class PageImage:
    png: bytes
    width: float   # the page's size in its citation unit
    height: float
    unit: str      # pt | px
    page_count: int


def render_page(source: Path, file_type: str, page: int, max_pixels: int, max_px: int = MAX_PREVIEW_PX,
                name: str = "the image") -> PageImage:
    """`source`: the stored file, opened in place (a page of a large PDF does not need the whole file read).

    An image page over `max_pixels` (ZHIKU_MAX_IMAGE_MEGAPIXELS, as for ingestion) is refused before it is
    decoded; a PDF page is rendered at a scale that fits `max_px` whatever its stated size."""
    if page < 1:
        raise InvalidInput("pages are numbered from 1")
    if file_type == FileType.PDF.value:
        return _pdf_page(source, page, max_px)
    if file_type == FileType.IMAGE.value:
        return _image_page(source, page, max_px, max_pixels, name)
    raise InvalidInput(f"documents of type {file_type} have no page images; open the text or the file itself")


def _pdf_page(source: Path, page: int, max_px: int) -> PageImage:
    import pypdfium2 as pdfium

    from zhiku.ingest.parsers.pdf import PDFIUM_LOCK

    with PDFIUM_LOCK:  # PDFium is not thread-safe
        try:
            document = pdfium.PdfDocument(str(source))
        except pdfium.PdfiumError as exc:
            raise CorruptFile(f"the stored PDF cannot be opened: {exc}") from exc
        try:
            count = len(document)
            if page > count:
                raise NotFound(f"page {page} does not exist; the document has {count} pages")
            pdf_page = document[page - 1]
            width, height = pdf_page.get_size()
            scale = min(2.0, max_px / max(width, height, 1))
            image = pdf_page.render(scale=scale).to_pil()
            pdf_page.close()
        finally:
            document.close()
    return PageImage(_png(image), width, height, "pt", count)


def _image_page(source: Path, page: int, max_px: int, max_pixels: int, name: str) -> PageImage:
    try:
        image = Image.open(source)
    except Image.DecompressionBombError as exc:  # Pillow's own stop, far over any limit
        raise LimitExceeded(f"'{name}' has too many pixels to show (ZHIKU_MAX_IMAGE_MEGAPIXELS)") from exc
    except OSError as exc:
        raise CorruptFile(f"'{name}' cannot be opened as an image") from exc
    with image:
        count = getattr(image, "n_frames", 1)
        if page > count:
            raise NotFound(f"page {page} does not exist; the image has {count} pages")
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if number == page:
                check_pixels(name, *frame.size, max_pixels)
                width, height = frame.size
                if frame.getexif().get(_EXIF_ORIENTATION) in _QUARTER_TURNS:
                    width, height = height, width  # boxes are in pixels of the upright image
                frame.draft("RGB", (max_px, max_px))  # JPEG decodes at a fraction of its size; others ignore it
                upright = ImageOps.exif_transpose(frame.convert("RGB"))
                upright.thumbnail((max_px, max_px))
                return PageImage(_png(upright), width, height, "px", count)
    raise NotFound(f"page {page} could not be read")


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
