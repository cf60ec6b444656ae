"""Parser tests on small documents built in code, asserting the extracted structure and text."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import docx
import openpyxl
import pptx
import pytest
from pptx.util import Inches
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from zhiku.core.errors import CorruptFile, EmptyFile, EncryptedFile, NoTextFound, UnsupportedFileType
from zhiku.core.types import Block, BlockKind, ParsedDocument
from zhiku.ingest.file_types import SUPPORTED_EXTENSIONS, FileType, detect_file_type, mime_type
from zhiku.ingest.parsers import docx as docx_parser
from zhiku.ingest.parsing import parse_document

OLE2_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def rows(doc: ParsedDocument) -> list[str]:
    return [b.text for b in doc.blocks if b.kind is BlockKind.TABLE_ROW]


def headings(doc: ParsedDocument) -> list[tuple[int, str, list[str]]]:
    return [(b.level, b.text, b.heading_path) for b in doc.blocks if b.kind is BlockKind.HEADING]


def block_with(doc: ParsedDocument, fragment: str) -> Block:
    return next(b for b in doc.blocks if fragment in b.text)


# --- file type detection ---------------------------------------------------------------------------


def test_detect_uses_extension_case_insensitively_and_tolerates_pdf_preamble() -> None:
    assert detect_file_type("年报.PDF", b"\r\n  %PDF-1.7\n") is FileType.PDF
    assert detect_file_type("C:\\docs\\notes.Markdown", b"# x") is FileType.MARKDOWN
    assert detect_file_type("page.htm", b"<p>x") is FileType.HTML
    assert detect_file_type("a.docx", b"PK\x03\x04rest") is FileType.DOCX
    assert mime_type(FileType.XLSX) == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert ".eml" in SUPPORTED_EXTENSIONS and ".text" in SUPPORTED_EXTENSIONS


def test_unknown_extension_lists_supported_ones() -> None:
    with pytest.raises(UnsupportedFileType) as error:
        detect_file_type("archive.zip", b"PK\x03\x04")
    assert ".pdf" in error.value.message and ".xlsx" in error.value.message


def test_legacy_doc_extension_says_to_save_as_docx() -> None:
    with pytest.raises(UnsupportedFileType, match=r"save it as \.docx"):
        detect_file_type("old.doc", OLE2_HEADER)


def test_ole2_encrypted_package_under_docx_is_encrypted() -> None:
    data = OLE2_HEADER + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64
    with pytest.raises(EncryptedFile, match="password"):
        parse_document(data, "合同.docx")


def test_ole2_without_encryption_under_xlsx_is_legacy_format() -> None:
    with pytest.raises(CorruptFile, match="legacy binary Office"):
        detect_file_type("old.xlsx", OLE2_HEADER + b"Workbook")


def test_pdf_extension_without_pdf_header_is_corrupt() -> None:
    with pytest.raises(CorruptFile, match="PDF"):
        parse_document(b"<html>not a pdf</html>", "report.pdf")


# --- generic errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \n\t ", b"\xef\xbb\xbf\n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(EmptyFile):
        parse_document(data, "empty.txt")


def test_parser_called_directly_rejects_empty_data() -> None:
    with pytest.raises(EmptyFile, match="DOCX"):
        docx_parser.parse(b"", "a.docx")


def test_corrupt_pdf_bytes() -> None:
    with pytest.raises(CorruptFile, match="not really a PDF"):
        parse_document(b"%PDF-1.7\n" + b"\x00garbage" * 50, "broken.pdf")


def test_corrupt_docx_zip_garbage() -> None:
    with pytest.raises(CorruptFile, match="not really a DOCX"):
        parse_document(b"PK\x03\x04" + b"\x07garbage" * 50, "broken.docx")


def test_zip_that_is_not_a_workbook_is_corrupt_xlsx() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(CorruptFile, match="XLSX"):
        parse_document(buffer.getvalue(), "data.xlsx")


def test_control_characters_are_stripped_and_empty_blocks_dropped() -> None:
    _, doc = parse_document("第一段\x00内容\x07。\n\n\x0b\x0c\n\n第二段".encode(), "a.txt")
    assert [b.text for b in doc.blocks] == ["第一段内容。", "第二段"]


# --- PDF ---------------------------------------------------------------------------------------------


pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # reportlab's built-in Chinese font: no font file
_PAGE_SIZE = (595, 842)  # A4 in whole points


class _Pdf:
    """A PDF drawn with reportlab. `y` is a baseline's distance from the top of the page, as it is read."""

    def __init__(self, **options: Any) -> None:
        self._out = io.BytesIO()
        self._canvas = canvas.Canvas(self._out, pagesize=_PAGE_SIZE, invariant=True, **options)
        # reportlab's default document info ("untitled", "anonymous") would become the title and author
        self._canvas.setTitle("")
        self._canvas.setAuthor("")
        self._canvas.setSubject("")

    def text(self, y: float, text: str, size: float = 11, x: float = 72, font: str = "Helvetica") -> None:
        self._canvas.setFont(font, size)
        self._canvas.drawString(x, _PAGE_SIZE[1] - y, text)

    def cjk(self, y: float, text: str, size: float = 11) -> None:
        self.text(y, text, size, font="STSong-Light")

    def rectangle(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self._canvas.rect(x0, _PAGE_SIZE[1] - y1, x1 - x0, y1 - y0, stroke=0, fill=1)

    def end_page(self) -> None:
        self._canvas.showPage()

    def bytes(self) -> bytes:
        self._canvas.save()
        return self._out.getvalue()


def _regulation_pdf() -> bytes:
    pdf = _Pdf()
    chapters = ["第一章 总则", "第二章 贷款条件", "第三章 附则"]
    for number, chapter in enumerate(chapters, start=1):
        pdf.cjk(40, "某某银行 内部资料 严禁外传", size=9)
        pdf.cjk(100, chapter, size=18)
        pdf.cjk(130, f"第{number}条 为规范个人贷款业务，防范信贷风险，根据有关法律法规，")
        pdf.cjk(145, "制定本办法。")
        pdf.cjk(175, "一、适用范围")
        pdf.text(195, "Loans are granted after a thorough credit assess-")
        pdf.text(209, "ment of the borrower.")
        pdf.text(810, f"- {number} -", size=9, x=290)
        pdf.text(810, f"Page {number} of 3", size=9, x=450)
        pdf.end_page()
    return pdf.bytes()


def test_pdf_chinese_headings_pages_and_joined_lines() -> None:
    file_type, doc = parse_document(_regulation_pdf(), "贷款办法.pdf")
    assert file_type is FileType.PDF
    assert doc.page_count == 3
    assert doc.title == "第一章 总则"
    assert headings(doc)[:2] == [(1, "第一章 总则", []), (2, "一、适用范围", ["第一章 总则"])]
    assert headings(doc)[2] == (1, "第二章 贷款条件", [])
    article = block_with(doc, "第2条")
    assert article.text == "第2条 为规范个人贷款业务，防范信贷风险，根据有关法律法规，制定本办法。"
    assert article.page == 2
    assert article.heading_path == ["第二章 贷款条件"]
    assert article.bbox is not None and article.bbox[1] == pytest.approx(119, abs=3)
    english = block_with(doc, "Loans")
    assert english.text == "Loans are granted after a thorough credit assessment of the borrower."
    assert (english.page, english.heading_path) == (1, ["第一章 总则", "一、适用范围"])


def test_pdf_drops_repeated_header_footer_and_page_numbers() -> None:
    _, doc = parse_document(_regulation_pdf(), "贷款办法.pdf")
    texts = " ".join(b.text for b in doc.blocks)
    assert "内部资料" not in texts
    assert "Page" not in texts
    assert all(b.text != f"- {n} -" for b in doc.blocks for n in (1, 2, 3))
    assert [b.page for b in doc.blocks if b.kind is BlockKind.HEADING and b.level == 1] == [1, 2, 3]


def test_pdf_keeps_large_headings_opening_each_page() -> None:
    pdf = _Pdf()
    for number in range(1, 4):
        pdf.text(70, f"Part {number} Overview", size=18)
        pdf.text(120, f"Body text of part {number}, long enough to be the body size.")
        pdf.text(820, f"Confidential - page {number}", size=8)
        pdf.end_page()
    _, parsed = parse_document(pdf.bytes(), "parts.pdf")
    assert [(b.kind, b.text) for b in parsed.blocks][:2] == [
        (BlockKind.HEADING, "Part 1 Overview"),
        (BlockKind.PARAGRAPH, "Body text of part 1, long enough to be the body size."),
    ]
    assert len(parsed.blocks) == 6 and not any("Confidential" in b.text for b in parsed.blocks)


def test_pdf_single_page_keeps_margin_text_that_is_not_repeated() -> None:
    pdf = _Pdf()
    pdf.cjk(40, "致客户的一封信")
    pdf.cjk(300, "感谢您一直以来的支持。")
    _, parsed = parse_document(pdf.bytes(), "letter.pdf")
    assert [b.text for b in parsed.blocks] == ["致客户的一封信", "感谢您一直以来的支持。"]


def _wide_leading_pdf() -> bytes:
    """Body text at 10.5 pt on 17 pt leading (1.6 em, common in Chinese documents), laid out by reportlab's
    paragraph wrapper, then a fee table whose rows are each a row of cells."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    base = dict(fontName="STSong-Light", wordWrap="CJK")
    body = ParagraphStyle("body", fontSize=10.5, leading=17, firstLineIndent=21, spaceAfter=4, **base)
    cell = ParagraphStyle("cell", fontSize=9.5, leading=14, **base)
    out = io.BytesIO()
    story = [
        Paragraph("本产品的固定管理费率为0.30%/年，托管费率为0.02%/年，销售服务费率为0.25%/年，上述费用均按前一日"
                  "产品资产净值计提，每日计提，按季支付，投资者无需另行缴纳。", body),
        Paragraph("投资者可在开放日提交赎回申请，赎回资金将于赎回确认日后的第3个工作日划入投资者账户。", body),
        Table([[Paragraph(c, cell) for c in row] for row in (
            ("费用项目", "费率", "计提方式"), ("固定管理费", "0.30%/年", "每日计提"), ("托管费", "0.02%/年", "每日计提"))],
            colWidths=[120, 120, 120]),
    ]
    SimpleDocTemplate(out, invariant=1).build(story)
    return out.getvalue()


def test_pdf_at_one_and_a_half_line_spacing_keeps_paragraphs_whole_and_table_rows_apart() -> None:
    _, parsed = parse_document(_wide_leading_pdf(), "说明书.pdf")
    texts = [b.text for b in parsed.blocks]
    fee = block_with(parsed, "固定管理费率")
    assert fee.text == ("本产品的固定管理费率为0.30%/年，托管费率为0.02%/年，销售服务费率为0.25%/年，上述费用均按前一日"
                        "产品资产净值计提，每日计提，按季支付，投资者无需另行缴纳。"), texts
    assert block_with(parsed, "赎回申请").text.startswith("投资者可在开放日"), texts
    assert not any("固定管理费率" in t and "赎回" in t for t in texts), texts  # two paragraphs, not one
    rows = [t for t in texts if "每日计提" in t and "费率为" not in t]
    assert len(rows) == 2 and not any("固定管理费" in t and "托管费" in t for t in rows), texts
    # the cells of a row are apart, not glued as a wrapped Chinese line would be
    assert rows == ["固定管理费 0.30%/年 每日计提", "托管费 0.02%/年 每日计提"], texts


def test_encrypted_pdf() -> None:
    pdf = _Pdf(encrypt=StandardEncryption("x", ownerPassword="y", strength=128))
    pdf.cjk(100, "机密")
    with pytest.raises(EncryptedFile, match="password-protected; remove the password"):
        parse_document(pdf.bytes(), "secret.pdf")


def test_pdf_without_text_layer_needs_ocr() -> None:
    pdf = _Pdf()
    pdf.rectangle(50, 50, 300, 300)
    pdf.end_page()
    pdf.end_page()
    with pytest.raises(NoTextFound, match="OCR"):
        parse_document(pdf.bytes(), "scan.pdf")


# --- DOCX --------------------------------------------------------------------------------------------


def _policy_docx() -> bytes:
    document = docx.Document()
    document.add_heading("信用卡管理规定", level=0)
    document.add_heading("第一章 总则", level=1)
    document.add_paragraph("为加强信用卡业务管理，制定本规定。")
    document.add_heading("费率标准", level=2)
    table = document.add_table(rows=4, cols=3)
    values = [
        ["卡种", "年费", "备注"],
        ["普卡", "100元", "首年免"],
        ["金卡", "300元", "刷卡满6次免"],
        ["白金卡另议", "", ""],
    ]
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(3, 0).merge(table.cell(3, 2))
    document.add_paragraph("境外交易另收取手续费。", style="List Bullet")
    document.add_heading("第二章 附则", level=1)
    document.add_paragraph("本规定自发布之日起施行。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_headings_tables_and_lists_in_order() -> None:
    file_type, doc = parse_document(_policy_docx(), "信用卡.docx")
    assert file_type is FileType.DOCX
    assert doc.title == "信用卡管理规定"
    assert headings(doc) == [
        (1, "信用卡管理规定", []),
        (1, "第一章 总则", []),
        (2, "费率标准", ["第一章 总则"]),
        (1, "第二章 附则", []),
    ]
    assert rows(doc) == [
        "卡种: 普卡 | 年费: 100元 | 备注: 首年免",
        "卡种: 金卡 | 年费: 300元 | 备注: 刷卡满6次免",
        "卡种: 白金卡另议",
    ]
    texts = [b.text for b in doc.blocks]
    assert texts.index("卡种: 白金卡另议") < texts.index("境外交易另收取手续费。") < texts.index("第二章 附则")
    bullet = block_with(doc, "境外交易")
    assert bullet.kind is BlockKind.LIST_ITEM
    assert bullet.heading_path == ["第一章 总则", "费率标准"]
    assert block_with(doc, "施行").heading_path == ["第二章 附则"]


def test_docx_chinese_style_names_are_headings() -> None:
    document = docx.Document()
    style = document.styles.add_style("标题 2", docx.enum.style.WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("风险提示", style=style)
    document.add_paragraph("投资有风险。")
    buffer = io.BytesIO()
    document.save(buffer)
    _, doc = parse_document(buffer.getvalue(), "a.docx")
    assert headings(doc) == [(2, "风险提示", [])]
    assert block_with(doc, "投资").heading_path == ["风险提示"]


# --- XLSX --------------------------------------------------------------------------------------------


def _workbook_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    rates = workbook.active
    rates.title = "存款利率"
    rates.append([])
    rates.append(["期限", "年利率", "起存金额"])
    rates.append(["一年", 0.015, 50.0])
    rates.append([None, None, None])
    rates.append(["三年", 0.0195, 1000.0])
    branches = workbook.create_sheet("网点")
    branches.append(["名称", "电话"])
    branches.append(["总行营业部", "010-12345678"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_sheets_become_headings_with_header_rows() -> None:
    file_type, doc = parse_document(_workbook_bytes(), "利率.xlsx")
    assert file_type is FileType.XLSX
    assert [(b.kind, b.text, b.heading_path, b.page) for b in doc.blocks] == [
        (BlockKind.HEADING, "存款利率", [], None),
        (BlockKind.TABLE_ROW, "期限: 一年 | 年利率: 0.015 | 起存金额: 50", ["存款利率"], None),
        (BlockKind.TABLE_ROW, "期限: 三年 | 年利率: 0.0195 | 起存金额: 1000", ["存款利率"], None),
        (BlockKind.HEADING, "网点", [], None),
        (BlockKind.TABLE_ROW, "名称: 总行营业部 | 电话: 010-12345678", ["网点"], None),
    ]


# --- PPTX --------------------------------------------------------------------------------------------


def _deck_bytes() -> bytes:
    deck = pptx.Presentation()
    intro = deck.slides.add_slide(deck.slide_layouts[1])
    intro.shapes.title.text = "理财产品介绍"
    intro.placeholders[1].text_frame.text = "稳健型，低风险"
    intro.notes_slide.notes_text_frame.text = "讲解时提示风险"
    pricing = deck.slides.add_slide(deck.slide_layouts[5])
    pricing.shapes.title.text = "费率表"
    table = pricing.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, row in enumerate([["产品", "管理费"], ["稳享A", "0.5%"], ["稳享B", "0.3%"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def test_pptx_slides_titles_tables_and_notes() -> None:
    file_type, doc = parse_document(_deck_bytes(), "产品.pptx")
    assert file_type is FileType.PPTX
    assert (doc.title, doc.page_count) == ("理财产品介绍", 2)
    assert [(b.page, b.level, b.text) for b in doc.blocks if b.kind is BlockKind.HEADING] == [
        (1, 1, "理财产品介绍"),
        (2, 1, "费率表"),
    ]
    bullet = block_with(doc, "稳健型")
    assert (bullet.kind, bullet.page, bullet.heading_path) == (BlockKind.LIST_ITEM, 1, ["理财产品介绍"])
    notes = block_with(doc, "讲解时")
    assert (notes.page, notes.heading_path) == (1, ["理财产品介绍", "Notes"])
    assert [(b.page, b.text) for b in doc.blocks if b.kind is BlockKind.TABLE_ROW] == [
        (2, "产品: 稳享A | 管理费: 0.5%"),
        (2, "产品: 稳享B | 管理费: 0.3%"),
    ]


@pytest.mark.parametrize(
    ("name", "make", "format_name"),
    [("deck.pptx", _deck_bytes, "PPTX"), ("book.xlsx", _workbook_bytes, "XLSX"), ("memo.docx", _policy_docx, "DOCX")],
)
def test_truncated_office_file_is_corrupt_and_names_the_format(
    name: str, make: Callable[[], bytes], format_name: str
) -> None:
    data = make()
    with pytest.raises(CorruptFile, match=f"not really a {format_name}"):
        parse_document(data[: len(data) // 2], name)


# --- HTML --------------------------------------------------------------------------------------------

HTML_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>存款利率公告</title><style>p {color: red}</style><script>var tracking = 1;</script></head>
<body><header><nav>首页 | 关于我们</nav></header>
<h1>存款利率调整</h1><p>本行自<b>2024年1月1日</b>起调整
人民币存款利率。</p>
<h2>利率表</h2>
<table><tr><th>期限</th><th>年利率</th></tr><tr><td>活期</td><td>0.20%</td></tr>
<tr><td>一年</td><td>1.45%</td></tr></table>
<ul><li>详情请咨询网点</li></ul>
<footer>版权所有 © 某某银行</footer></body></html>"""


def test_html_declared_charset_headings_and_tables() -> None:
    file_type, doc = parse_document(HTML_PAGE.encode("gb18030"), "notice.html")
    assert file_type is FileType.HTML
    assert doc.title == "存款利率公告"
    assert headings(doc) == [(1, "存款利率调整", []), (2, "利率表", ["存款利率调整"])]
    assert block_with(doc, "本行").text == "本行自2024年1月1日起调整人民币存款利率。"
    assert rows(doc) == ["期限: 活期 | 年利率: 0.20%", "期限: 一年 | 年利率: 1.45%"]
    assert block_with(doc, "咨询").kind is BlockKind.LIST_ITEM
    text = " ".join(b.text for b in doc.blocks)
    assert "tracking" not in text and "首页" not in text and "版权" not in text and "color" not in text


# --- Markdown ----------------------------------------------------------------------------------------

MARKDOWN = """---
title: ignored front matter
---
# 个人贷款指南

本指南介绍**个人贷款**的
申请流程，详见[官网](https://bank.example)。

## 申请条件
- 年满 18 周岁
- 有稳定收入

Repayment
---------

| 产品 | 利率 | 期限 |
|------|-----:|:----:|
| 住房贷款 | 4.2% | 30年 |
| 消费贷 | 5.5% | 3年 |

```sql
SELECT * FROM loans; # not a heading
```
"""


def test_markdown_structure() -> None:
    file_type, doc = parse_document(MARKDOWN.encode(), "guide.md")
    assert file_type is FileType.MARKDOWN
    assert doc.title == "个人贷款指南"
    assert headings(doc) == [
        (1, "个人贷款指南", []),
        (2, "申请条件", ["个人贷款指南"]),
        (2, "Repayment", ["个人贷款指南"]),
    ]
    assert block_with(doc, "本指南").text == "本指南介绍个人贷款的申请流程，详见官网。"
    assert [b.text for b in doc.blocks if b.kind is BlockKind.LIST_ITEM] == ["年满 18 周岁", "有稳定收入"]
    assert rows(doc) == ["产品: 住房贷款 | 利率: 4.2% | 期限: 30年", "产品: 消费贷 | 利率: 5.5% | 期限: 3年"]
    assert block_with(doc, "产品: 住房贷款").heading_path == ["个人贷款指南", "Repayment"]
    code = block_with(doc, "SELECT")
    assert (code.kind, code.text) == (BlockKind.CODE, "SELECT * FROM loans; # not a heading")
    assert "front matter" not in " ".join(b.text for b in doc.blocks)


# --- plain text and CSV ------------------------------------------------------------------------------

GBK_TEXT = """第一章 总则

第一条 为规范柜面业务操作，
制定本规程。
第二条 本规程适用于全行营业网点。

一、开户

办理开户须核验客户身份证件。
"""


def test_gbk_text_with_numbered_headings() -> None:
    file_type, doc = parse_document(GBK_TEXT.encode("gbk"), "柜面规程.txt")
    assert file_type is FileType.TEXT
    assert headings(doc) == [(1, "第一章 总则", []), (2, "一、开户", ["第一章 总则"])]
    assert [b.text for b in doc.blocks if b.kind is BlockKind.PARAGRAPH] == [
        "第一条 为规范柜面业务操作，制定本规程。",
        "第二条 本规程适用于全行营业网点。",
        "办理开户须核验客户身份证件。",
    ]
    assert block_with(doc, "身份证件").heading_path == ["第一章 总则", "一、开户"]


def test_utf8_bom_text_and_latin1_fallback() -> None:
    _, bom = parse_document("\ufeff说明\n\n正文内容较长的一段。".encode("utf-8"), "a.txt")
    assert bom.blocks[0].text == "说明"
    _, latin = parse_document("Café crème".encode("latin-1"), "b.text")
    assert latin.blocks[0].text == "Café crème"


def test_gbk_csv_with_semicolons() -> None:
    data = "网点;地址;电话\n朝阳支行;北京市朝阳区建国路1号;010-1234\n海淀支行;北京市海淀区中关村2号;010-5678\n"
    file_type, doc = parse_document(data.encode("gbk"), "网点.csv")
    assert file_type is FileType.CSV
    assert doc.title == "网点"
    assert rows(doc) == [
        "网点: 朝阳支行 | 地址: 北京市朝阳区建国路1号 | 电话: 010-1234",
        "网点: 海淀支行 | 地址: 北京市海淀区中关村2号 | 电话: 010-5678",
    ]


# --- EML ---------------------------------------------------------------------------------------------


def test_eml_html_body_and_markdown_attachment() -> None:
    message = EmailMessage()
    message["Subject"] = "关于调整存款利率的通知"
    message["From"] = "张三 <zhang@bank.example>"
    message["To"] = "branches@bank.example"
    message["Date"] = "Mon, 01 Jan 2024 10:00:00 +0800"
    message.set_content("<html><body><h1>通知</h1><p>自即日起调整利率。</p></body></html>", subtype="html")
    attachment = "# 利率明细\n\n| 期限 | 利率 |\n|---|---|\n| 一年 | 1.5% |\n"
    message.add_attachment(attachment.encode(), maintype="text", subtype="markdown", filename="rates.md")
    message.add_attachment(b"\x00\x01", maintype="application", subtype="octet-stream", filename="tool.exe")

    file_type, doc = parse_document(bytes(message), "通知.eml")
    assert file_type is FileType.EML
    assert doc.title == "关于调整存款利率的通知"
    assert doc.metadata["from"] == "张三 <zhang@bank.example>"
    assert doc.metadata["to"] == "branches@bank.example"
    assert doc.metadata["attachments"] == "rates.md"
    assert doc.metadata["skipped_attachments"] == "tool.exe (unsupported type)"
    subject = "关于调整存款利率的通知"
    assert headings(doc) == [
        (1, subject, []),
        (2, "通知", [subject]),
        (2, "Attachment: rates.md", [subject]),
        (3, "利率明细", [subject, "Attachment: rates.md"]),
    ]
    assert block_with(doc, "自即日起").heading_path == [subject, "通知"]
    row = block_with(doc, "期限: 一年")
    assert (row.kind, row.text, row.heading_path) == (
        BlockKind.TABLE_ROW,
        "期限: 一年 | 利率: 1.5%",
        [subject, "Attachment: rates.md", "利率明细"],
    )


def test_eml_plain_text_sections_in_capitals_and_field_lines() -> None:
    # A plain-text notice marks its sections with a line in capitals over key: value lines. The section is the
    # label its lines are read with ("Start: …" under MAINTENANCE WINDOW), and each field is its own block, not one
    # run "MAINTENANCE WINDOW Start: … End: … Change reference: …".
    message = EmailMessage()
    message["Subject"] = "Mobile Banking upgrade"
    message.set_content("Dear colleagues,\n\nThe app will be upgraded.\n\nMAINTENANCE WINDOW\n"
                        "  Start: 22:00 on Saturday, 15 March 2025\n  End:   04:00 on Sunday, 16 March 2025\n\n"
                        "AFFECTED SERVICES (unavailable during the window)\n  - Transfers and payments\n\n"
                        "Regards,\nIT Service Desk\n")
    _, doc = parse_document(bytes(message), "notice.eml")
    subject = "Mobile Banking upgrade"
    assert headings(doc) == [(1, subject, []), (2, "MAINTENANCE WINDOW", [subject]),
                             (2, "AFFECTED SERVICES (unavailable during the window)", [subject])]
    start = block_with(doc, "Start:")
    assert (start.text, start.heading_path) == ("Start: 22:00 on Saturday, 15 March 2025",
                                                [subject, "MAINTENANCE WINDOW"])
    assert block_with(doc, "End:").text == "End:   04:00 on Sunday, 16 March 2025"
    assert block_with(doc, "Transfers").heading_path == [subject, "AFFECTED SERVICES (unavailable during the window)"]
    # Prose is not a field list: "Regards," and a wrapped line stay one paragraph; a capitalised sentence is no heading.
    assert block_with(doc, "Regards").text == "Regards, IT Service Desk"


def test_text_that_is_not_an_email_is_corrupt_eml() -> None:
    with pytest.raises(CorruptFile, match="EML"):
        parse_document("只是一段普通文字，没有邮件头。".encode(), "fake.eml")
