"""Images (PNG, JPEG, TIFF incl. multi-page, BMP, WebP) → OCR → paragraphs in reading order.

Each frame of a multi-page TIFF is a page. Boxes are in pixels of the image as displayed (EXIF
orientation applied, as a phone photo is meant to be seen). The pixel count is checked from the header
before anything is decoded, so a decompression bomb is refused without allocating its memory.
"""
from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from zhiku.core.errors import CorruptFile, FileTooLarge, NoTextFound
from zhiku.core.types import Block, ParsedDocument
from zhiku.ingest.parse_context import ParseContext
from zhiku.ingest.parse_limits import check_count, check_pixels
from zhiku.ingest.parsers.plain_text import require_data


def parse(data: bytes, filename: str, context: ParseContext) -> ParsedDocument:
    require_data(data, "image")
    limit = context.options.max_image_pixels
    with warnings.catch_warnings():
        # Our own limit is checked below; Pillow's warning/error would fire on frame access first.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, limit)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:  # Pillow's own hard stop, at twice its default limit
            raise FileTooLarge(f"'{filename}' has too many pixels to process safely (limit "
                               f"{limit / 1e6:.0f} MP, ZHIKU_MAX_IMAGE_MEGAPIXELS). Scale it down and upload "
                               "again.") from exc
        except (UnidentifiedImageError, OSError) as exc:
            raise CorruptFile(f"'{filename}' is not an image that can be read: the file may be damaged or "
                              "not really an image. Save it again as PNG or JPEG and upload.") from exc
        with image:
            page_count = getattr(image, "n_frames", 1)
            check_count(filename, page_count, context.limits.max_pages, "pages (frames)", "ZHIKU_MAX_DOCUMENT_PAGES")
            reader = context.ocr()
            blocks: list[Block] = []
            displayed_size = image.size
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                check_pixels(filename, *frame.size, limit)
                context.checkpoint()
                context.progress("ocr", (number - 1) / page_count, f"OCR {number - 1}/{page_count} pages")
                try:
                    upright = ImageOps.exif_transpose(frame.convert("RGB") if frame.mode not in ("RGB", "L") else frame)
                    upright.load()
                    if number == 1:
                        displayed_size = upright.size
                except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
                    raise CorruptFile(f"'{filename}' is damaged: page {number} could not be decoded. Save it "
                                      "again and upload.") from exc
                for paragraph in reader.read(upright):
                    blocks.append(Block(text=paragraph.text, kind=paragraph.kind, page=number, bbox=paragraph.bbox))
            context.progress("ocr", 1.0, f"OCR {page_count}/{page_count} pages")
    if not blocks:
        raise NoTextFound(f"No text was found in '{filename}'. If the text is small or blurred, scan or "
                          "photograph it again at a higher resolution (300 dpi for scans).")
    return ParsedDocument(blocks=blocks, title=None, page_count=page_count,
                          metadata={"ocr": "true", "image_size": f"{displayed_size[0]}x{displayed_size[1]}"})
