"""The look the demo's report-style PDFs share (the audit summary, the research report): the CJK font, the
title, subtitle, notice and heading styles, and the running header and footer. Builders add their own body
styles. Pages carry the builder's fixed PDF date, so builds stay byte-identical."""
from __future__ import annotations

PDF_FONT = "STSong-Light"


def report_styles() -> dict:
    """`base` (keyword arguments for further styles) and the `title`, `sub`, `notice` and `h1` styles."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    base = dict(fontName=PDF_FONT, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", fontSize=17, leading=25, alignment=TA_CENTER, spaceAfter=4, **base),
        "sub": ParagraphStyle("sub", fontSize=10, leading=15, alignment=TA_CENTER,
                              textColor=colors.HexColor("#444444"), spaceAfter=6, **base),
        "notice": ParagraphStyle("notice", fontSize=10, leading=15, borderColor=colors.HexColor("#9b1c1c"),
                                 borderWidth=0.8, borderPadding=5, backColor=colors.HexColor("#fdf2f2"),
                                 spaceBefore=4, spaceAfter=10, **base),
        "h1": ParagraphStyle("h1", fontSize=13.5, leading=20, spaceBefore=8, spaceAfter=4,
                             textColor=colors.HexColor("#1f3a5f"), **base),
    }


def running_header(left: str, right: str, fixed_date: str):
    """An `onPage` callback: `left` and `right` above a rule at the top, "第 n 页" below a rule at the foot;
    `fixed_date` stands in for the build time."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setDateFormatter(lambda *args: fixed_date)
        width, height = A4
        canvas.setFont(PDF_FONT, 8.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(20 * mm, height - 13 * mm, left)
        canvas.drawRightString(width - 20 * mm, height - 13 * mm, right)
        canvas.setStrokeColor(colors.HexColor("#bbbbbb"))
        canvas.line(20 * mm, height - 15 * mm, width - 20 * mm, height - 15 * mm)
        canvas.line(20 * mm, 16 * mm, width - 20 * mm, 16 * mm)
        canvas.setFont(PDF_FONT, 9)
        canvas.drawCentredString(width / 2, 10 * mm, "第 %d 页" % doc.page)
        canvas.restoreState()

    return on_page
