"""Small documents the tests build themselves."""
from __future__ import annotations

import io

import docx
import pymupdf


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


def english_pdf(lines: list[str]) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    y = 72
    for line in lines:
        page.insert_text((72, y), line, fontsize=11)
        y += 18
    return doc.tobytes()


def encrypted_pdf() -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Confidential board minutes", fontsize=12)
    return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
