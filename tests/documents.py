"""Small documents the tests build themselves."""
from __future__ import annotations

import io

import docx
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

_PAGE_SIZE = (595, 842)  # A4 in whole points


def loan_policy_docx(rate_note: str = "首套住房贷款利率不低于LPR减20个基点。") -> bytes:
    d = docx.Document()
    d.add_heading("个人住房贷款管理办法", level=0)
    d.add_heading("第一章 总则", level=1)
    d.add_paragraph("第一条 为规范个人住房贷款业务，防范信贷风险，根据有关法律法规，制定本办法。"
                    "第二条 本办法适用于本行各分支机构。")
    d.add_heading("第三章 贷款额度与期限", level=1)
    d.add_heading("第一节 贷款期限", level=2)
    d.add_paragraph("第十条 个人住房贷款期限最长不超过三十年，且借款人年龄与贷款期限之和不超过七十岁。")
    d.add_paragraph(rate_note)
    table = d.add_table(rows=3, cols=3)
    for row, cells in zip(table.rows, [("房屋类型", "最高贷款成数", "最长期限"),
                                       ("首套房", "80%", "30年"), ("二套房", "60%", "25年")]):
        for cell, value in zip(row.cells, cells):
            cell.text = value
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _pdf(lines: list[tuple[float, str, float]], **options: object) -> bytes:
    """A one-page PDF with Helvetica (y of the baseline from the page top, text, font size) lines."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=_PAGE_SIZE, invariant=True, **options)
    pdf.setTitle("")  # reportlab's default title, "untitled", would become the document title
    for y, text, size in lines:
        pdf.setFont("Helvetica", size)
        pdf.drawString(72, _PAGE_SIZE[1] - y, text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def english_pdf(lines: list[str]) -> bytes:
    return _pdf([(72 + 18 * index, line, 11) for index, line in enumerate(lines)])


def encrypted_pdf() -> bytes:
    encryption = StandardEncryption("secret", ownerPassword="owner", strength=128)
    return _pdf([(72, "Confidential board minutes", 12)], encrypt=encryption)
