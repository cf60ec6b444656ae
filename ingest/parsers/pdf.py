"""PDF parser: the text layer page by page, headings inferred from font size and numbering.

PDFium (pypdfium2) opens the file first: it tells a password-protected PDF from a damaged one and reads the
document information. The characters then come from pdfminer.six through pdfplumber, in content-stream order,
and are grouped here into lines and blocks much as MuPDF did before: a line ends where the baseline moves or
the gap to the next glyph exceeds 0.8 em; a block ends where the next line is more than 1.5 em away, starts
right of where the previous line's text began, or runs in another direction. Text set with wider leading (1.6 em
and more is common in Chinese documents) would lose every wrapped line to a block of its own, so a line further
away than 1.5 em still continues the block before it when it is no further than the page's usual line pitch and
the line before ran to the right edge of its text column (it wrapped); a row of table cells (several lines on one
baseline) is never joined to its neighbours. Bounding boxes are PDF points from the top-left corner of the
unrotated crop box.

Pages whose text layer is missing (a scan) or garbage (unmapped glyphs) are rendered with PDFium and OCR'd
when the parse context offers OCR; their paragraphs get boxes in the same PDF points. Born-digital pages
keep their text layer.
"""
from __future__ import annotations

import io
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.layout import LTChar, LTContainer
from pdfplumber.page import Page

from zhiku.core.errors import CorruptFile, EncryptedFile, NoTextFound
from zhiku.core.types import Block, BlockKind, ParsedDocument
from zhiku.ingest.parse_context import ParseContext
from zhiku.ingest.parse_limits import DEFAULT_LIMITS, ParseLimits, check_count
from zhiku.ingest.parsers.plain_text import (
    HeadingStack,
    dense_levels,
    heading_rank,
    join_lines,
    require_data,
    starts_paragraph,
    strip_bullet,
    wrap_library_errors,
)

BBox = tuple[float, float, float, float]
Matrix = tuple[float, float, float, float, float, float]
HeadingKey = tuple[float, int]  # (-font size, numbering rank): sorts outermost first

# PDFium is not thread-safe and ingestion runs on several worker threads: hold this lock around every
# PDFium call in the process (anything that renders pages with pypdfium2 must use it too).
PDFIUM_LOCK = threading.Lock()

_MARGIN_BAND = 0.12  # share of page height at top and bottom where running headers/footers live
_HEADING_SIZE_RATIO = 1.15
_MAX_SIZED_HEADING_CHARS = 80
_MIN_PAGE_BODY_CHARS = 100  # below this (e.g. a cover page) the page's own dominant size is meaningless
_UNNUMBERED_RANK = 99  # unnumbered headings sort after numbered ones of the same size
_CLAUSE_END = tuple("。！？；：:.!?;")
_LETTER = re.compile(r"[^\W\d_]")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:page\s*)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?(?:\s*[-–—])?$"
    r"|^第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?$",
    re.IGNORECASE,
)
# Line and block segmentation, in em of the incoming character's font size.
_SAME_BASELINE = 0.8  # baseline offset still on the same line (sub- and superscripts)
_SPACE_GAP = 0.15  # a wider gap between two glyphs is a word space the PDF did not draw
_LINE_GAP = 0.8  # a wider gap on the same baseline starts a new line (table cells, columns)
_BACKWARD_GAP = 1.0  # moving back further than this on the same baseline starts a new line
_BLOCK_GAP = 1.5  # a baseline further away than this starts a new block
_INDENT = 0.1  # a line starting right of where the previous line's text began starts a new block
_SAME_DIRECTION = 0.98  # cosine between writing directions that still count as one line
# Wrapped lines at wide leading (see _join_wrapped_lines), in em of the line's font size.
_PITCH_RANGE = (1.0, 2.6)  # baseline steps read as the page's line pitch (wider ones are paragraph gaps)
_PITCH_SLACK = 0.1  # a step this much over the pitch still counts as the pitch
_RIGHT_EDGE_SLACK = 2.0  # a line ending this close to its column's right edge ran to it (it wrapped: CJK text
# wraps a character early, and closing punctuation may hang past the edge)
_SAME_ROW = 0.3  # baselines this close are one row (table cells)
# Ligature code points are spelt out, so that search for "fi" matches.
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
# pdfminer's device space for each /Rotate value (the page's mediabox is x0, y0, x1, y1).
_ROTATIONS = {
    0: lambda x0, y0, x1, y1: (1.0, 0.0, 0.0, 1.0, -x0, -y0),
    90: lambda x0, y0, x1, y1: (0.0, -1.0, 1.0, 0.0, -y0, x1),
    180: lambda x0, y0, x1, y1: (-1.0, 0.0, 0.0, -1.0, x1, y1),
    270: lambda x0, y0, x1, y1: (0.0, 1.0, -1.0, 0.0, y1, -x0),
}


@dataclass(slots=True)
class _Glyph:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    origin_x: float
    origin_y: float
    advance: float
    size: float
    direction: tuple[float, float]
    font: str


@dataclass(slots=True)
class _Line:
    text: str
    size: float
    bbox: BBox
    block_no: int
    in_margin: bool
    cell: bool = False  # shares its baseline with another line beside it: a table cell (see _table_row_lines)


@dataclass(slots=True)
class _Piece:
    """Consecutive lines that become one block."""

    lines: list[_Line]
    kind: BlockKind
    page: int
    heading_key: HeadingKey | None = None


def parse(data: bytes, filename: str, context: ParseContext | None = None,
          limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    require_data(data, "PDF")
    with wrap_library_errors("PDF"):
        metadata = _check_and_read_info(data, filename, limits)
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if not pdf.pages:
                raise CorruptFile(f"'{filename}' has no pages: the file may be damaged or not really a PDF.")
            pages, scanned = [], []
            for number, page in enumerate(pdf.pages, start=1):
                if context is not None:
                    context.checkpoint()
                has_images = bool(page.images)
                lines = _page_lines(page)
                if _needs_ocr(lines, has_images):
                    scanned.append(number)
                    lines = []
                pages.append(lines)
    ocr_pieces = _ocr_pages(data, filename, scanned, context) if scanned and context is not None else {}
    if not any(pages) and not any(ocr_pieces.values()):
        if scanned and context is None:
            raise NoTextFound(f"'{filename}' has no text layer: it looks like a scanned PDF, so OCR is needed.")
        raise NoTextFound(
            f"No text was found in '{filename}', neither in its text layer nor by OCR of its pages. If it is a "
            "scan, scan it again at 300 dpi and upload."
        )
    body_lines = [line for lines in pages for line in lines]
    document_size = _dominant_size(body_lines) if body_lines else 10.0
    pages = _drop_page_furniture(pages, document_size)
    pieces = [
        piece
        for number, lines in enumerate(pages, start=1)
        for piece in (ocr_pieces.get(number) or _page_pieces(lines, number, document_size))
    ]
    blocks = _blocks(pieces)
    if ocr_pieces:
        metadata["ocr_pages"] = ",".join(str(number) for number in ocr_pieces)
    first_heading = next((b.text for b in blocks if b.kind is BlockKind.HEADING), None)
    return ParsedDocument(
        blocks=blocks,
        title=metadata.get("title") or first_heading,
        page_count=len(pages),
        metadata={k: metadata[k] for k in ("author", "subject", "keywords", "creationDate", "ocr_pages")
                  if metadata.get(k)},
    )


# --- scanned pages -----------------------------------------------------------------------------------

_MIN_TEXT_LAYER_CHARS = 20  # fewer on a page that carries an image: the text is in the image
_MAX_GARBAGE_SHARE = 0.3
_UNMAPPED_GLYPH = "(cid:"  # pdfminer's spelling of a glyph with no Unicode mapping


def _needs_ocr(lines: list[_Line], has_images: bool) -> bool:
    text = "".join(line.text for line in lines).replace(" ", "")
    if len(text) < _MIN_TEXT_LAYER_CHARS:
        return has_images
    garbage = text.count(_UNMAPPED_GLYPH) * 6 + sum(
        1 for ch in text if ch == "\ufffd" or unicodedata.category(ch) in ("Co", "Cn", "Cc")
    )
    return garbage / len(text) > _MAX_GARBAGE_SHARE


def _ocr_pages(data: bytes, filename: str, numbers: list[int], context: ParseContext) -> dict[int, list[_Piece]]:
    """Render each page (PDFium, under its lock) and OCR it (outside the lock); boxes back in PDF points."""
    reader = context.ocr()
    scale = context.options.pdf_ocr_dpi / 72
    pieces: dict[int, list[_Piece]] = {}
    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
    try:
        for done, number in enumerate(numbers):
            context.progress("ocr", done / len(numbers), f"OCR {done}/{len(numbers)} scanned pages")
            context.checkpoint()
            with PDFIUM_LOCK:
                page = document[number - 1]
                try:
                    page_scale = _render_scale(page.get_size(), scale, context.options.max_image_pixels)
                    image = page.render(scale=page_scale).to_pil()
                finally:
                    page.close()
            page_pieces = []
            for block_no, paragraph in enumerate(reader.read(image)):
                bbox = tuple(round(v / page_scale, 2) for v in paragraph.bbox)
                line = _Line(text=paragraph.text, size=(bbox[3] - bbox[1]), bbox=bbox,  # type: ignore[arg-type]
                             block_no=block_no, in_margin=False)
                page_pieces.append(_Piece([line], paragraph.kind, number))
            pieces[number] = page_pieces
        context.progress("ocr", 1.0, f"OCR {len(numbers)}/{len(numbers)} scanned pages")
    finally:
        with PDFIUM_LOCK:
            document.close()
    return pieces


def _render_scale(size_pt: tuple[float, float], scale: float, max_pixels: int) -> float:
    """The OCR resolution, lowered for a page so large (a poster, or a crafted 200-inch page) that rendering it
    at that resolution would exceed the pixel limit."""
    width, height = size_pt
    pixels = width * height * scale * scale
    return scale if pixels <= max_pixels else scale * math.sqrt(max_pixels / pixels)


def _check_and_read_info(data: bytes, filename: str, limits: ParseLimits) -> dict[str, str]:
    """Open the PDF with PDFium: refuse encrypted, page-less and too long files, return the document information."""
    with PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if _needs_password(exc):
                raise EncryptedFile(
                    f"'{filename}' is password-protected; remove the password and upload again."
                ) from exc
            raise  # a damaged file: wrap_library_errors turns it into CorruptFile
        try:
            if len(doc) == 0:
                raise CorruptFile(f"'{filename}' has no pages: the file may be damaged or not really a PDF.")
            check_count(filename, len(doc), limits.max_pages, "pages", "ZHIKU_MAX_DOCUMENT_PAGES")
            info = doc.get_metadata_dict(skip_empty=True)
        finally:
            doc.close()
    keys = {"Title": "title", "Author": "author", "Subject": "subject", "Keywords": "keywords",
            "CreationDate": "creationDate"}
    return {keys[key]: value.strip() for key, value in info.items() if key in keys and isinstance(value, str)}


def _needs_password(exc: pdfium.PdfiumError) -> bool:
    code = getattr(exc, "err_code", None)
    if code is not None:
        # FPDF_ERR_SECURITY: an unsupported handler, e.g. certificate encryption; it is removed the same way.
        return code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY)
    return "password" in str(exc).lower()


# --- characters, lines and blocks ------------------------------------------------------------------


def _page_lines(page: Page) -> list[_Line]:
    page_obj = page.page_obj
    transform, width, height = _page_transform(page_obj.mediabox, page_obj.cropbox, page_obj.rotate)
    try:
        glyphs = [glyph for char in _layout_chars(page.layout) if (glyph := _glyph(char, transform, width, height))]
    finally:
        page.close()  # drops the cached layout: a long PDF would otherwise stay in memory
    lines = []
    for block_no, line_glyphs in _group_lines(glyphs):
        text = " ".join("".join(glyph.text for glyph in line_glyphs).split())
        if not text:
            continue
        bbox = _union((glyph.x0, glyph.y0, glyph.x1, glyph.y1) for glyph in line_glyphs)
        middle = (bbox[1] + bbox[3]) / 2 / height if height > 0 else 0.5
        lines.append(
            _Line(
                text=text,
                size=_dominant_span_size(line_glyphs),
                bbox=bbox,
                block_no=block_no,
                in_margin=not _MARGIN_BAND <= middle <= 1 - _MARGIN_BAND,
            )
        )
    return _join_wrapped_lines(lines)


def _table_row_lines(lines: list[_Line]) -> set[int]:
    """Indices of lines that share their baseline with another line beside them: cells of one table row (or
    columns side by side); they are never joined into a paragraph."""
    order = sorted(range(len(lines)), key=lambda i: lines[i].bbox[3])
    row: set[int] = set()
    for position, i in enumerate(order):
        a = lines[i]
        for j in order[position + 1:]:
            b = lines[j]
            if b.bbox[3] - a.bbox[3] > _SAME_ROW * max(a.size, b.size):
                break
            if b.bbox[0] >= a.bbox[2] or a.bbox[0] >= b.bbox[2]:  # side by side, not overlapping
                row.update((i, j))
    return row


def _line_pitch(lines: list[_Line], row: set[int]) -> dict[float, float]:
    """The page's usual baseline step between consecutive lines of running text, per font size (in points): the
    most common step between 1 and 2.6 em. A paragraph's wrapped lines are set at it; paragraphs are further apart."""
    steps: dict[float, Counter[float]] = {}
    for index in range(1, len(lines)):
        previous, line = lines[index - 1], lines[index]
        if index in row or index - 1 in row or abs(previous.size - line.size) > 0.05 * line.size or line.size <= 0:
            continue
        step = line.bbox[3] - previous.bbox[3]
        if _PITCH_RANGE[0] * line.size <= step <= _PITCH_RANGE[1] * line.size:
            steps.setdefault(round(line.size, 1), Counter())[round(step, 1)] += 1
    return {size: counts.most_common(1)[0][0] for size, counts in steps.items()}


def _join_wrapped_lines(lines: list[_Line]) -> list[_Line]:
    """Lines the glyph grouping split into blocks only because their leading is wider than 1.5 em are joined back
    into the block before them: same font size, the step at most the page's line pitch, starting no further right
    than the previous line (not indented, not centred), and the previous line ran to its column's right edge — it
    wrapped, so the sentence goes on. Table rows stay blocks of their own."""
    if len(lines) < 2:
        return lines
    row = _table_row_lines(lines)
    lines = [replace(line, cell=True) if index in row else line for index, line in enumerate(lines)]
    pitch = _line_pitch(lines, row)
    if not pitch:
        return lines
    renumber: dict[int, int] = {}
    for index, line in enumerate(lines):
        renumber.setdefault(line.block_no, line.block_no)
        if index == 0 or index in row or index - 1 in row:
            continue
        previous = lines[index - 1]
        if renumber[previous.block_no] == renumber[line.block_no]:
            continue
        size = line.size
        usual = pitch.get(round(size, 1))
        if usual is None or abs(previous.size - size) > 0.05 * size:
            continue
        step = line.bbox[3] - previous.bbox[3]
        if not _PITCH_RANGE[0] * size <= step <= usual + _PITCH_SLACK * size:
            continue
        if line.bbox[0] > previous.bbox[0] + _INDENT * size:
            continue
        column_right = max(other.bbox[2] for other in lines
                           if abs(other.size - size) <= 0.05 * size and other.bbox[0] < previous.bbox[2]
                           and other.bbox[2] > previous.bbox[0])
        if previous.bbox[2] < column_right - _RIGHT_EDGE_SLACK * size:
            continue
        renumber[line.block_no] = renumber[previous.block_no]
    return [line if renumber[line.block_no] == line.block_no else replace(line, block_no=renumber[line.block_no])
            for line in lines]


def _page_transform(mediabox: Iterable[float], cropbox: Iterable[float], rotation: int) -> tuple[Matrix, float, float]:
    """Map pdfminer's (rotated) device space to points from the top-left of the unrotated crop box.

    Returns the matrix and the crop box's width and height.
    """
    mx0, my0, mx1, my1 = mediabox
    device = _ROTATIONS.get(rotation % 360, _ROTATIONS[0])(mx0, my0, mx1, my1)
    cx0, cy0, cx1, cy1 = cropbox
    cx0, cx1 = sorted((cx0, cx1))
    cy0, cy1 = sorted((cy0, cy1))
    flip: Matrix = (1.0, 0.0, 0.0, -1.0, -cx0, cy1)
    return _multiply(_invert(device), flip), cx1 - cx0, cy1 - cy0


def _layout_chars(container: LTContainer) -> Iterator[LTChar]:
    """Characters in content-stream order, including those inside form XObjects."""
    for item in container:
        if isinstance(item, LTChar):
            yield item
        elif isinstance(item, LTContainer):
            yield from _layout_chars(item)


def _glyph(char: LTChar, transform: Matrix, width: float, height: float) -> _Glyph | None:
    text = char.get_text()
    if not text or (text.startswith("(cid:") and text.endswith(")")):  # no Unicode mapping: unreadable
        return None
    ta, tb, tc, td, te, tf = transform
    xa, ya = ta * char.x0 + tc * char.y0 + te, tb * char.x0 + td * char.y0 + tf
    xb, yb = ta * char.x1 + tc * char.y1 + te, tb * char.x1 + td * char.y1 + tf
    x0, x1 = (xa, xb) if xa <= xb else (xb, xa)
    y0, y1 = (ya, yb) if ya <= yb else (yb, ya)
    if x1 < 0 or y1 < 0 or x0 > width or y0 > height:  # outside the visible page
        return None
    a, b, c, d, e, f = char.matrix
    scale = math.hypot(a, b)
    if scale == 0:
        return None
    dx, dy = (ta * a + tc * b) / scale, (tb * a + td * b) / scale
    text = " " if text.isspace() else text.translate(_LIGATURES)
    return _Glyph(
        text=text,
        x0=x0,
        y0=y0,
        x1=x1,
        y1=y1,
        origin_x=ta * e + tc * f + te,
        origin_y=tb * e + td * f + tf,
        advance=char.adv * scale,
        size=_font_size(char, scale),
        direction=(dx, dy),
        font=char.fontname,
    )


def _font_size(char: LTChar, scale: float) -> float:
    """The glyph's font size in points: its extent across the baseline."""
    if char.size != char.height:  # vertical writing: pdfminer already measures across the baseline
        return float(char.size)
    a, b = char.matrix[0], char.matrix[1]
    cos, sin = abs(a) / scale, abs(b) / scale
    advance = char.adv * scale
    # The glyph box (advance x size) is rotated; recover its height from the axis-aligned box.
    size = (char.height - advance * sin) / cos if cos >= sin else (char.width - advance * cos) / sin
    return size if size > 0 else float(char.size)


def _group_lines(glyphs: list[_Glyph]) -> Iterator[tuple[int, list[_Glyph]]]:
    """Split the glyph stream into (block number, glyphs of one line), inserting word spaces."""
    block_no = 0
    line: list[_Glyph] = []
    for glyph in glyphs:
        if not line:
            if glyph.text != " ":
                line = [glyph]
            continue
        previous = line[-1]
        em = glyph.size or previous.size or 1.0
        new_block = True
        ux, uy = previous.direction
        if ux * glyph.direction[0] + uy * glyph.direction[1] > _SAME_DIRECTION:
            step_x, step_y = glyph.origin_x - previous.origin_x, glyph.origin_y - previous.origin_y
            baseline_offset = abs(step_y * ux - step_x * uy)
            gap = step_x * ux + step_y * uy - previous.advance
            if baseline_offset <= _SAME_BASELINE * em:
                if -_BACKWARD_GAP * em <= gap <= _LINE_GAP * em:
                    if gap > _SPACE_GAP * em and previous.text != " " and glyph.text != " ":
                        line.append(_space_after(previous))
                    line.append(glyph)
                    continue
                new_block = False  # another cell or column on the same baseline
            elif baseline_offset <= _BLOCK_GAP * em:
                # A hanging or centred line opens a new block. The previous line's text begins after any
                # bullet or number set off from it, so a list item's wrapped lines stay together.
                start = _run_start(line)
                indent = (glyph.origin_x - start.origin_x) * ux + (glyph.origin_y - start.origin_y) * uy
                new_block = indent > _INDENT * em
        if glyph.text == " ":  # whitespace does not start a line: it is often clipped away
            continue
        yield block_no, line
        block_no += new_block
        line = [glyph]
    if line:
        yield block_no, line


def _run_start(line: list[_Glyph]) -> _Glyph:
    """Where the line's last run of text began: after its last font change or positioned gap.

    So a bullet or number set off from the text does not count as the line's start.
    """
    for index in range(len(line) - 1, 0, -1):
        glyph, previous = line[index], line[index - 1]
        if previous.advance == 0 and previous.text == " ":  # a word space inserted at a gap
            return glyph
        if (glyph.font, glyph.size) != (previous.font, previous.size):
            return glyph
        ux, uy = previous.direction
        gap = (glyph.origin_x - previous.origin_x) * ux + (glyph.origin_y - previous.origin_y) * uy - previous.advance
        if gap > _SPACE_GAP * (glyph.size or 1.0):
            return glyph
    return line[0]


def _space_after(glyph: _Glyph) -> _Glyph:
    """A zero-width space glyph at the end of `glyph`, so it does not widen the line's box."""
    x = glyph.x1 if glyph.direction[0] >= 0 else glyph.x0
    return _Glyph(" ", x, glyph.y0, x, glyph.y1, glyph.origin_x, glyph.origin_y, 0.0, glyph.size,
                  glyph.direction, glyph.font)


def _dominant_span_size(glyphs: list[_Glyph]) -> float:
    """Size of the longest run of glyphs in one font and size (a "span")."""
    best_size, best_length = glyphs[0].size, -1
    start = 0
    for index in range(1, len(glyphs) + 1):
        if index < len(glyphs) and (glyphs[index].font, glyphs[index].size) == (glyphs[start].font,
                                                                             glyphs[start].size):
            continue
        length = len("".join(glyph.text for glyph in glyphs[start:index]).strip())
        if length > best_length:
            best_size, best_length = glyphs[start].size, length
        start = index
    return best_size


def _invert(m: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    det = a * d - b * c
    return (d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det)


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """The matrix applying `m` first, then `n` (PDF row-vector convention)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


# --- structure -------------------------------------------------------------------------------------


def _furniture_key(text: str) -> str:
    """Running headers/footers differ only in their numbers ("Page 3 of 9"), so numbers are masked."""
    return re.sub(r"\d+", "#", "".join(text.split()))


def _drop_page_furniture(pages: list[list[_Line]], document_size: float) -> list[list[_Line]]:
    """Remove running headers/footers (margin text repeated on most pages) and bare page numbers.

    Only small margin lines qualify: a heading opening each page ("Chapter 3 …") is also near the top
    and, with its number masked, can repeat.
    """

    def candidate(line: _Line) -> bool:
        return line.in_margin and line.size < document_size * _HEADING_SIZE_RATIO

    repeated: set[str] = set()
    if len(pages) > 1:
        per_page = [{_furniture_key(line.text) for line in lines if candidate(line)} for lines in pages]
        counts = Counter(key for keys in per_page for key in keys)
        repeated = {key for key, count in counts.items() if count * 2 > len(pages)}

    def furniture(line: _Line) -> bool:
        return candidate(line) and (_furniture_key(line.text) in repeated or bool(_PAGE_NUMBER.match(line.text)))

    return [[line for line in lines if not furniture(line)] for lines in pages]


def _dominant_size(lines: list[_Line]) -> float:
    weights: Counter[float] = Counter()
    for line in lines:
        weights[round(line.size, 1)] += len(line.text)
    dominant = weights.most_common(1)
    return dominant[0][0] if dominant else 0.0


def _page_pieces(lines: list[_Line], page: int, document_size: float) -> list[_Piece]:
    if not lines:
        return []
    enough_text = sum(len(line.text) for line in lines) >= _MIN_PAGE_BODY_CHARS
    body_size = _dominant_size(lines) if enough_text else document_size
    pieces: list[_Piece] = []
    for line in lines:
        # Only a piece from the same text block may be continued by this line.
        current = pieces[-1] if pieces and pieces[-1].lines[-1].block_no == line.block_no else None
        at_start = current is None or current.heading_key is not None or current.lines[-1].text.endswith(_CLAUSE_END)
        key = _heading_key(line, body_size, at_start)
        if key is not None:
            if current is not None and _continues_heading(current, line):
                current.lines.append(line)
            else:
                pieces.append(_Piece([line], BlockKind.HEADING, page, key))
        elif strip_bullet(line.text) is not None:
            pieces.append(_Piece([line], BlockKind.LIST_ITEM, page))
        elif current is not None and current.heading_key is None and not (at_start and starts_paragraph(line.text)):
            current.lines.append(line)
        else:
            pieces.append(_Piece([line], BlockKind.PARAGRAPH, page))
    return pieces


def _heading_key(line: _Line, body_size: float, at_paragraph_start: bool) -> HeadingKey | None:
    if not _LETTER.search(line.text):
        return None
    size = round(line.size * 2) / 2
    rank = heading_rank(line.text)
    if line.size >= body_size * _HEADING_SIZE_RATIO and len(line.text) <= _MAX_SIZED_HEADING_CHARS:
        return (-size, _UNNUMBERED_RANK if rank is None else rank)
    # Body-size numbered lines count only at a paragraph start: a wrapped line may begin "第二章" by chance.
    if rank is not None and at_paragraph_start:
        return (-size, rank)
    return None


def _continues_heading(current: _Piece, line: _Line) -> bool:
    """A heading wrapped over several lines: same block and size, and no new numbering."""
    return (
        current.heading_key is not None
        and current.lines[0].size == line.size
        and heading_rank(line.text) is None
    )


def _blocks(pieces: list[_Piece]) -> list[Block]:
    levels = dense_levels(piece.heading_key for piece in pieces if piece.heading_key is not None)
    stack = HeadingStack()
    blocks = []
    for piece in pieces:
        texts = _row_texts(piece.lines)
        if piece.kind is BlockKind.LIST_ITEM:
            texts[0] = strip_bullet(texts[0]) or ""
        text, bbox = join_lines(texts), _union(line.bbox for line in piece.lines)
        if piece.heading_key is not None:
            blocks.append(stack.heading(text, levels[piece.heading_key], page=piece.page, bbox=bbox))
        else:
            blocks.append(stack.block(text, piece.kind, page=piece.page, bbox=bbox))
    return blocks


def _row_texts(lines: list[_Line]) -> list[str]:
    """The lines' texts, the cells of one table row joined with a space: "固定管理费 0.30%/年 每日计提" and "货币资金
    6842.37 5917.46", not glued as a wrapped Chinese line would be ("货币资金6842.37")."""
    texts: list[str] = []
    previous: _Line | None = None
    for line in lines:
        if (texts and previous is not None and line.cell and previous.cell
                and abs(line.bbox[3] - previous.bbox[3]) <= _SAME_ROW * max(line.size, previous.size)):
            texts[-1] = f"{texts[-1].rstrip()} {line.text.strip()}"
        else:
            texts.append(line.text)
        previous = line
    return texts


def _union(boxes: Iterable[BBox]) -> BBox:
    x0s, y0s, x1s, y1s = zip(*boxes, strict=True)
    return (min(x0s), min(y0s), max(x1s), max(y1s))
