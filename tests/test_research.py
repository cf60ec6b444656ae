"""Research: fields of bond documents and research reports with one citation each, Q&A over chosen reports,
and a draft from the research template — through the HTTP API with the real embedder and vector engine.

The two documents are written here. Both are fictional: a bond prospectus summary (DOCX) of 澄江绿能集团有限公司
and a credit research report (PDF, two pages) on 云岭数智科技股份有限公司. The PDF states no use of proceeds,
the DOCX does: extraction over the PDF alone must list the field as missing rather than borrow it.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.conftest import wait_for_job

FICTIONAL = "（虚构测试材料 / fictional test material）"

# -- document A: bond prospectus summary (DOCX) ------------------------------------------------------
A_NAME = "澄江绿能集团有限公司_2025年公司债券（第一期）募集说明书摘要.docx"
A_TERMS = [  # (要素, 内容) rendered as table rows "要素: 发行人 | 内容: 澄江绿能集团有限公司"
    ("发行人", "澄江绿能集团有限公司"),
    ("债券全称", "澄江绿能集团有限公司2025年面向专业投资者公开发行公司债券（第一期）"),
    ("债券简称", "25澄能01"),
    ("债券代码", "242517.SH"),
    ("发行规模", "人民币15亿元"),
    ("债券期限", "5年（3+2）"),
    ("票面利率", "2.68%"),
    ("起息日", "2025年4月18日"),
    ("到期日", "2030年4月18日"),
    ("付息方式", "按年付息，到期一次还本"),
]
A_RATING = ("经衡岳信用评级有限公司综合评定，发行人主体信用等级为AA+，评级展望为稳定，本期债券信用等级为AAA。"
            "本期债券由澄江城市发展投资集团有限公司提供全额无条件不可撤销的连带责任保证担保。")
A_PROCEEDS = "本期债券募集资金扣除发行费用后，拟全部用于偿还到期公司债券本金。"
A_FIGURES = [  # 项目, 2025年度, 2024年度 (亿元)
    ("营业收入", "186.42", "171.05"),
    ("净利润", "12.37", "10.86"),
    ("资产总计", "1,024.58", "948.31"),
    ("负债合计", "652.19", "611.47"),
    ("所有者权益合计", "372.39", "336.84"),
    ("经营活动产生的现金流量净额", "23.64", "19.82"),
]
A_RISKS = ["利率风险：受宏观经济和货币政策影响，市场利率存在波动的可能，本期债券的投资价值在存续期内可能随市场利率的波动而变动。",
           "再融资风险：发行人有息债务规模较大，若未来融资环境收紧，发行人将面临一定的再融资压力。"]

# -- document B: credit research report (PDF) --------------------------------------------------------
B_NAME = "研究报告_云岭数智科技股份有限公司_2025年度信用分析.pdf"
B_PAGE1 = [
    ("h", "一、债券概况"),
    ("p", "发行人：云岭数智科技股份有限公司"),
    ("p", "债券简称：24云数01"),
    ("p", "债券代码：148765.SZ"),
    ("p", "发行规模：人民币8亿元"),
    ("p", "期限5年(3+2)，到期日：2029年11月20日。"),
    ("p", "本期债券票面利率为3.15%。"),
    ("p", "付息方式：每年付息一次，到期一次还本。"),
    ("h", "二、信用评级"),
    ("p", "评级机构：滇池资信评估有限公司。"),
    ("p", "主体信用等级为AA，评级展望稳定；本期债券评级AA+。"),
]
B_FIGURES = [
    ("营业收入", "58.73", "51.28"),
    ("净利润", "4.12", "3.87"),
    ("资产总计", "126.45", "112.90"),
    ("负债合计", "71.38", "62.15"),
    ("所有者权益合计", "55.07", "50.75"),
]
B_CONCLUSION = ("研究结论：云岭数智数据中心业务收入稳定增长，2025年末机柜上架率达到87%，经营活动现金流充沛，"
                "偿债能力较强，我们维持对24云数01的增持建议。")
B_RISK = "风险提示：数据中心行业竞争加剧，机柜租赁价格存在下行风险；前五大客户收入占比为61%，客户集中度较高。"


def bond_prospectus_docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading("澄江绿能集团有限公司2025年面向专业投资者公开发行公司债券（第一期）募集说明书摘要", level=0)
    doc.add_paragraph(f"{FICTIONAL}本文件中的公司、债券、评级机构及全部数据均为虚构。")
    doc.add_heading("第一节 本期债券发行概况", level=1)
    _docx_table(doc, [("要素", "内容"), *A_TERMS])
    doc.add_heading("第二节 信用评级情况", level=1)
    doc.add_paragraph(A_RATING)
    doc.add_heading("第三节 募集资金运用", level=1)
    doc.add_paragraph(A_PROCEEDS)
    doc.add_heading("第四节 发行人主要财务数据（单位：亿元）", level=1)
    _docx_table(doc, [("项目", "2025年度", "2024年度"), *A_FIGURES])
    doc.add_heading("第五节 风险提示", level=1)
    for risk in A_RISKS:
        doc.add_paragraph(risk)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _docx_table(doc, rows) -> None:
    table = doc.add_table(rows=0, cols=len(rows[0]))
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text


def research_report_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    # Wrapped lines of a paragraph stay one block (leading under 1.5 em); statement rows get space between
    # them, so each row is a line of its own ("营业收入 58.73 51.28") under the header naming the years.
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10.5, leading=15, wordWrap="CJK")
    row = ParagraphStyle("row", parent=body, spaceBefore=6)
    head = ParagraphStyle("head", parent=body, fontSize=14, leading=22, spaceBefore=6)
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=28)
    story = [Paragraph("云岭数智科技股份有限公司2025年度信用分析报告", title),
             Paragraph(f"{FICTIONAL}本报告中的公司、债券、评级机构及全部数据均为虚构。", body)]
    story += [Paragraph(text, head if kind == "h" else body) for kind, text in B_PAGE1]
    story += [PageBreak(), Paragraph("三、主要财务数据（单位：亿元）", head), Paragraph("项目 2025年度 2024年度", row)]
    story += [Paragraph(" ".join(cells), row) for cells in B_FIGURES]
    story += [Paragraph("四、研究结论与投资建议", head), Paragraph(B_CONCLUSION, body),
              Paragraph("五、风险提示", head), Paragraph(B_RISK, body)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build(story)
    return buffer.getvalue()


# -- helpers ------------------------------------------------------------------------------------------
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _upload_both(client) -> tuple[str, str, str]:
    """A knowledge base with both documents indexed: (kb id, DOCX document id, PDF document id)."""
    response = client.post("/knowledge-bases", json={"name": "research", "language": "zh"})
    assert response.status_code == 201, response.text
    kb_id = response.json()["id"]
    response = client.post(f"/knowledge-bases/{kb_id}/documents",
                           files=[("files", (A_NAME, bond_prospectus_docx(), DOCX_MIME)),
                                  ("files", (B_NAME, research_report_pdf(), "application/pdf"))])
    assert response.status_code == 202, response.text
    items = response.json()["items"]
    for item in items:
        assert wait_for_job(client, item["job_id"])["status"] == "done"
    return kb_id, items[0]["document"]["id"], items[1]["document"]["id"]


def _extract(client, kb_id, document_ids, **extra) -> dict:
    response = client.post("/research/extract", json={"knowledge_bases": [kb_id], "document_ids": document_ids,
                                                      **extra})
    assert response.status_code == 200, response.text
    return response.json()


def _ask(client, kb_id, document_ids, question) -> dict:
    response = client.post("/research/ask", json={"question": question, "knowledge_bases": [kb_id],
                                                  "document_ids": document_ids})
    assert response.status_code == 200, response.text
    return response.json()


# -- extraction ---------------------------------------------------------------------------------------
def test_extract_copies_each_field_from_the_chosen_document_with_its_citation(client):
    kb_id, docx_id, pdf_id = _upload_both(client)

    bond = _extract(client, kb_id, [docx_id])
    expected = {"issuer": "澄江绿能集团有限公司", "bond_name": "25澄能01", "bond_code": "242517.SH",
                "issuer_rating": "AA+", "bond_rating": "AAA", "rating_agency": "衡岳信用评级有限公司",
                "coupon": "2.68%", "issue_size": "人民币15亿元", "maturity_date": "2030年4月18日",
                "term": "5年（3+2）", "interest_payment": "按年付息，到期一次还本",
                "use_of_proceeds": "扣除发行费用后，拟全部用于偿还到期公司债券本金"}
    assert {k: v["value"] for k, v in bond["fields"].items()} == expected
    assert bond["missing"] == []
    for field_id, field in bond["fields"].items():
        citation = field["citation"]
        assert citation["document_id"] == docx_id and citation["document_name"] == A_NAME, field_id
        assert field["value"] in citation["text"], field_id  # the value is in the passage it cites
        assert citation["chunk_id"] and citation["label"].startswith(A_NAME)
        assert field["how"] == "pattern"
    assert bond["fields"]["coupon"]["citation"]["heading_path"][-1] == "第一节 本期债券发行概况"
    assert bond["subject"] == "澄江绿能集团有限公司" and [d["id"] for d in bond["documents"]] == [docx_id]
    metrics = {m["id"]: m for m in bond["metrics"]}
    assert metrics["total_assets"]["values"] == {"2025": "1,024.58", "2024": "948.31"}  # verbatim, with commas
    assert metrics["total_assets"]["unit"] == "亿元"
    assert metrics["debt_ratio"]["values"]["2025"] == f"{652.19 / 1024.58 * 100:.2f}%"
    assert metrics["debt_ratio"]["computed"] is True
    assert bond["risks"] and all(r["citation"]["document_id"] == docx_id for r in bond["risks"])
    assert any("利率风险" in r["text"] or "再融资" in r["text"] for r in bond["risks"])

    report = _extract(client, kb_id, [pdf_id])
    expected = {"issuer": "云岭数智科技股份有限公司", "bond_name": "24云数01", "bond_code": "148765.SZ",
                "issuer_rating": "AA", "bond_rating": "AA+", "rating_agency": "滇池资信评估有限公司",
                "coupon": "3.15%", "issue_size": "人民币8亿元", "maturity_date": "2029年11月20日",
                "term": "5年(3+2)", "interest_payment": "每年付息一次，到期一次还本"}
    assert {k: v["value"] for k, v in report["fields"].items()} == expected
    # The PDF states no use of proceeds; the DOCX in the same knowledge base does, and must not be used.
    assert report["missing"] == ["use_of_proceeds"] and "use_of_proceeds" not in report["fields"]
    for field_id, field in report["fields"].items():
        citation = field["citation"]
        assert citation["document_id"] == pdf_id and citation["page"] == 1, field_id
        assert field["value"] in citation["text"], field_id
    metrics = {m["id"]: m for m in report["metrics"]}
    for label, value_2025, value_2024 in B_FIGURES:
        row = next(m for m in report["metrics"] if m["label"] == label)
        assert row["values"] == {"2025": value_2025, "2024": value_2024}
        assert [(c["document_id"], c["page"]) for c in row["citations"]] == [(pdf_id, 2)]
    assert metrics["net_margin"]["values"] == {"2025": f"{4.12 / 58.73 * 100:.2f}%",
                                               "2024": f"{3.87 / 51.28 * 100:.2f}%"}
    assert report["missing_metrics"] == ["operating_cash_flow"]  # not in the research report
    assert report["conclusions"][0]["text"].startswith("研究结论：") and "增持" in report["conclusions"][0]["text"]
    assert report["conclusions"][0]["citation"]["page"] == 2
    assert all(c["citation"]["document_id"] == pdf_id for c in report["conclusions"] + report["risks"])
    assert any("客户集中度" in r["text"] or "竞争加剧" in r["text"] for r in report["risks"]), report["risks"]


def test_extract_refuses_unknown_documents_and_needs_a_choice(client):
    kb_id, docx_id, _ = _upload_both(client)
    unknown = client.post("/research/extract", json={"knowledge_bases": [kb_id], "document_ids": ["nope"]})
    assert unknown.status_code == 422 and "nope" in unknown.json()["message"]
    none_chosen = client.post("/research/extract", json={"knowledge_bases": [kb_id], "document_ids": []})
    assert none_chosen.status_code == 422
    no_llm = client.post("/research/extract", json={"knowledge_bases": [kb_id], "document_ids": [docx_id],
                                                    "mode": "llm"})
    assert no_llm.status_code == 422 and "LLM" in no_llm.json()["message"]  # no LLM configured in these tests


# -- Q&A over chosen reports -------------------------------------------------------------------------
def test_ask_answers_only_from_the_chosen_reports(client):
    kb_id, docx_id, pdf_id = _upload_both(client)
    question = "云岭数智数据中心的机柜上架率是多少？"
    from_pdf = _ask(client, kb_id, [pdf_id], question)
    assert from_pdf["found"] is True and "87%" in from_pdf["answer"]
    assert {c["citation"]["document_id"] for c in from_pdf["citations"]} == {pdf_id}
    from_docx = _ask(client, kb_id, [docx_id], question)  # only the bond prospectus: it does not say
    assert from_docx["found"] is False and from_docx["citations"] == []

    coupon = "本期债券的票面利率是多少？"
    docx_coupon = _ask(client, kb_id, [docx_id], coupon)
    assert docx_coupon["found"] is True and "2.68%" in docx_coupon["answer"] and "3.15%" not in docx_coupon["answer"]
    assert {c["citation"]["document_id"] for c in docx_coupon["citations"]} == {docx_id}
    pdf_coupon = _ask(client, kb_id, [pdf_id], coupon)
    assert "3.15%" in pdf_coupon["answer"] and "2.68%" not in pdf_coupon["answer"]

    with client.stream("POST", "/research/ask", json={"question": question, "knowledge_bases": [kb_id],
                                                      "document_ids": [pdf_id], "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    assert "event: delta" in body and "event: done" in body and "87%" in body

    refused = client.post("/research/ask", json={"question": coupon, "knowledge_bases": [kb_id], "document_ids": []})
    assert refused.status_code == 422
    unknown = client.post("/research/ask", json={"question": coupon, "knowledge_bases": [kb_id],
                                                 "document_ids": ["missing-id"], "stream": True})
    assert unknown.status_code == 422 and "missing-id" in unknown.json()["message"]


# -- a draft from the research template ---------------------------------------------------------------
def test_research_draft_copies_figures_and_downloads_as_docx(client):
    from docx import Document

    kb_id, docx_id, pdf_id = _upload_both(client)
    templates = {t["id"] for t in client.get("/reports/templates").json()}
    assert "research_report_zh" in templates
    # The subject's documents are picked by name: only the DOCX names 澄江绿能集团.
    response = client.post("/reports/draft", json={"template": "research_report_zh", "subject": "澄江绿能集团有限公司",
                                                   "knowledge_bases": [kb_id]})
    assert response.status_code == 200, response.text
    draft = response.json()
    assert [d["id"] for d in draft["documents"]] == [docx_id]
    sections = {s["id"]: s for s in draft["sections"]}
    assert set(sections) == {"bond_terms", "financials", "conclusion", "risks"}
    figures = {f["label"]: f["values"] for f in sections["financials"]["figures"] if not f["computed"]}
    assert figures == {label: {"2025": a, "2024": b} for label, a, b in A_FIGURES}
    statements = {s["label"]: s["value"] for s in sections["bond_terms"]["statements"]}
    assert statements["票面利率"] == "2.68%" and statements["主体信用等级"] == "AA+"
    assert {c["document_id"] for c in draft["citations"]} == {docx_id}

    download = client.get(draft["downloads"]["docx"])
    assert download.status_code == 200
    document = Document(io.BytesIO(download.content))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    assert "一、发行人与债券要素" in text and "票面利率：2.68%" in text
    assert ["资产总计", "1,024.58", "948.31"] == cells[[r[0] for r in cells].index("资产总计")][:3]

    pdf_draft = client.post("/reports/draft", json={"template": "research_report_zh", "subject": "云岭数智科技股份有限公司",
                                                    "knowledge_bases": [kb_id], "document_ids": [pdf_id]}).json()
    pdf_figures = {f["label"]: f["values"] for s in pdf_draft["sections"] for f in s["figures"] if not f["computed"]}
    assert pdf_figures == {label: {"2025": a, "2024": b} for label, a, b in B_FIGURES}
    assert any(g["item"] == "募集资金用途" for g in pdf_draft["gaps"])


# -- the template's patterns --------------------------------------------------------------------------
PHRASINGS = [  # (field id, text, value or None when the field must not match)
    ("issuer", "发行人：澄江绿能集团有限公司", "澄江绿能集团有限公司"),
    ("issuer", "本期债券的发行人为澄江绿能集团有限公司，", "澄江绿能集团有限公司"),
    ("issuer", "要素: 发行人 | 内容: 澄江绿能集团有限公司", "澄江绿能集团有限公司"),
    ("issuer", "发行人：云岭数智科技股份有限公司债券简称：24云数01", "云岭数智科技股份有限公司"),
    ("issuer", "Issuer: Chengjiang Green Energy Group Co., Ltd.", "Chengjiang Green Energy Group Co., Ltd."),
    ("issuer", "发行人主体信用等级为AA+", None),
    ("issuer", "发行人是一家地方国有控股公司", None),
    ("bond_name", "债券简称：25澄能01", "25澄能01"),
    ("bond_name", "债券简称为25澄能01，债券代码为242517.SH", "25澄能01"),
    ("bond_name", "债券简称：25澄能01债券代码：242517.SH", "25澄能01"),
    ("bond_name", "要素: 债券简称 | 内容: 25澄绿MTN001", "25澄绿MTN001"),
    ("bond_name", "以下简称“澄江绿能”", None),
    ("bond_code", "债券代码：242517.SH", "242517.SH"),
    ("bond_code", "要素: 债券代码 | 内容: 102580123.IB", "102580123.IB"),
    ("bond_code", "ISIN: CND10000ABC1", "CND10000ABC1"),
    ("issuer_rating", "主体信用等级为AAA", "AAA"),
    ("issuer_rating", "经东衡信用评级有限公司综合评定，发行人主体信用等级为AA+，评级展望为稳定", "AA+"),
    ("issuer_rating", "主体长期信用等级：AA-", "AA-"),
    ("issuer_rating", "要素: 主体评级 | 内容: AA", "AA"),
    ("issuer_rating", "Issuer rating: AAA", "AAA"),
    ("issuer_rating", "债项评级为AAA", None),
    ("bond_rating", "评级AA+", "AA+"),
    ("bond_rating", "本期债券信用等级为AAA", "AAA"),
    ("bond_rating", "债项评级：AA+", "AA+"),
    ("bond_rating", "主体信用等级为AA+，债项评级为AAA", "AAA"),
    ("bond_rating", "主体信用等级为AA，评级展望稳定；本期债券评级AA+。", "AA+"),
    ("bond_rating", "主体评级AA+", None),
    ("bond_rating", "主体信用评级AA+", None),
    ("bond_rating", "Rating: AA+", "AA+"),
    ("bond_rating", "Bond rating: AAA (stable)", "AAA"),
    ("bond_rating", "Issuer rating: AAA", None),
    ("rating_agency", "评级机构：东衡信用评级有限公司", "东衡信用评级有限公司"),
    ("rating_agency", "经东衡信用评级有限公司综合评定，主体信用等级为AA+", "东衡信用评级有限公司"),
    ("rating_agency", "要素: 评级机构 | 内容: 联信资信评估股份有限公司", "联信资信评估股份有限公司"),
    ("rating_agency", "Rating agency: Dongheng Credit Ratings Co., Ltd.", "Dongheng Credit Ratings Co., Ltd."),
    ("rating_agency", "由澄江城市发展投资集团有限公司提供担保", None),
    ("coupon", "票面利率：3.25%", "3.25%"),
    ("coupon", "票面利率为3.25%", "3.25%"),
    ("coupon", "本期债券票面利率确定为2.68%，", "2.68%"),
    ("coupon", "要素: 票面利率 | 内容: 2.68%", "2.68%"),
    ("coupon", "票面年利率 3.1％", "3.1％"),
    ("coupon", "Coupon: 3.25% p.a.", "3.25%"),
    ("coupon", "Coupon rate 4.5%", "4.5%"),
    ("coupon", "票面利率由发行人和主承销商协商确定", None),
    ("issue_size", "发行规模：人民币15亿元", "人民币15亿元"),
    ("issue_size", "本期债券发行总额不超过10亿元（含10亿元）", "10亿元"),
    ("issue_size", "发行金额为150,000万元", "150,000万元"),
    ("issue_size", "Issue size: RMB 1.5 billion", "RMB 1.5 billion"),
    ("maturity_date", "到期日：2030年3月15日", "2030年3月15日"),
    ("maturity_date", "本期债券的到期日为2030年4月18日", "2030年4月18日"),
    ("maturity_date", "兑付日：2030-04-18", "2030-04-18"),
    ("maturity_date", "要素: 到期日 | 内容: 2030年4月18日", "2030年4月18日"),
    ("maturity_date", "Maturity: 15 March 2030", "15 March 2030"),
    ("maturity_date", "Maturity date: March 15, 2030", "March 15, 2030"),
    ("term", "期限5年(3+2)", "5年(3+2)"),
    ("term", "债券期限为5年（3+2）", "5年（3+2）"),
    ("term", "发行期限：3+2年", "3+2年"),
    ("term", "期限：5年期", "5年期"),
    ("term", "要素: 债券期限 | 内容: 5年（3+2）", "5年（3+2）"),
    ("term", "Tenor: 5 years", "5 years"),
    ("term", "Term: 3+2 years", "3+2 years"),
    ("term", "营业期限：20年", None),
    ("term", "债券期限：2025年3月15日至2030年3月15日", None),
    ("term", "The rate was determined 5 years ago", None),
    ("interest_payment", "付息方式：按年付息，到期一次还本。", "按年付息，到期一次还本"),
    ("interest_payment", "还本付息方式为每年付息一次，到期一次还本；", "每年付息一次，到期一次还本"),
    ("interest_payment", "要素: 付息方式 | 内容: 按年付息，到期一次还本", "按年付息，到期一次还本"),
    ("interest_payment", "Interest payment: annually in arrears", "annually in arrears"),
    ("use_of_proceeds", "募集资金用途：拟全部用于偿还到期公司债券本金。", "拟全部用于偿还到期公司债券本金"),
    ("use_of_proceeds", "本期债券募集资金扣除发行费用后，拟全部用于偿还有息债务。", "扣除发行费用后，拟全部用于偿还有息债务"),
    ("use_of_proceeds", "要素: 募集资金用途 | 内容: 偿还有息债务及补充流动资金", "偿还有息债务及补充流动资金"),
    ("use_of_proceeds", "Use of proceeds: refinancing of existing debt", "refinancing of existing debt"),
    ("use_of_proceeds", "募集资金专项账户由监管银行管理。", None),
]


@pytest.fixture(scope="module")
def research_fields():
    from zhiku.scenarios.report_template import TemplateLibrary

    template = TemplateLibrary().get("research_report_zh")
    return {spec.id: spec for section in template.sections for spec in section.fields}


def _hit(text: str, number: int = 1):
    from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores

    return SearchHit(f"c{number}", text, None, 1.0, StageScores(),
                     Citation("kb", "doc", "doc.pdf", number, number, [], 0, len(text), None))


def read_field(spec, *passages: str, subject: str | None = None) -> str | None:
    """The field as the extractor reads it from retrieved passages holding these texts, best first."""
    from zhiku.scenarios.field_extraction import FieldExtractor

    hits = [_hit(text, number) for number, text in enumerate(passages, start=1)]
    found = FieldExtractor().extract(spec, lambda query: hits, subject)
    return found.value if found else None


@pytest.mark.parametrize("field_id, text, value", PHRASINGS, ids=[f"{p[0]}-{i}" for i, p in enumerate(PHRASINGS)])
def test_research_patterns_read_chinese_and_english_phrasings(research_fields, field_id, text, value):
    assert read_field(research_fields[field_id], text) == value


def test_the_issuer_rating_is_the_issuers_not_the_guarantors(research_fields):
    guarantor = "担保人澄江城市发展投资集团有限公司主体信用等级为AAA。"
    issuer = "澄江绿能集团有限公司主体信用等级为AA+，评级展望为稳定。"
    spec = research_fields["issuer_rating"]
    assert read_field(spec, guarantor, issuer, subject="澄江绿能集团有限公司") == "AA+"  # near the issuer's name
    assert read_field(spec, guarantor, issuer) == "AAA"  # no subject: the best passage's
    assert read_field(spec, "担保人主体信用等级为AAA。") is None


# -- the demo research report ------------------------------------------------------------------------
def _demo_builder():
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "demo" / "build_research_demo.py"
    spec = importlib.util.spec_from_file_location("build_research_demo", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_research_report_is_reproducible_and_reads_back_through_the_api(client, tmp_path):
    demo = _demo_builder()
    committed = demo.KB_DIR / demo.FILE_NAME
    rebuilt = tmp_path / demo.FILE_NAME
    demo.build_pdf(rebuilt)
    assert rebuilt.read_bytes() == committed.read_bytes()  # deterministic, and the committed file is current
    assert demo.verify(committed) == []

    kb_id = client.post("/knowledge-bases", json={"name": "demo-research"}).json()["id"]
    files = [("files", (demo.FILE_NAME, committed.read_bytes(), "application/pdf"))]
    item = client.post(f"/knowledge-bases/{kb_id}/documents", files=files).json()["items"][0]
    assert wait_for_job(client, item["job_id"])["status"] == "done"
    result = _extract(client, kb_id, [item["document"]["id"]])
    assert {k: (v["value"], v["citation"]["page"]) for k, v in result["fields"].items()} == demo.TRUTH_FIELDS
    assert result["missing"] == []
    rows = {m["label"]: m["values"] for m in result["metrics"] if not m["computed"]}
    assert rows == {label: dict(zip(("2025", "2024", "2023"), values)) for label, *values in demo.FIGURES}


def test_demo_research_conclusions_and_risks_hold_no_disclaimer(client):
    """The demo report's disclaimer (section 八) matches "结论" queries by its words, but is not a conclusion."""
    demo = _demo_builder()
    kb_id = client.post("/knowledge-bases", json={"name": "demo-research-disclaimer"}).json()["id"]
    files = [("files", (demo.FILE_NAME, (demo.KB_DIR / demo.FILE_NAME).read_bytes(), "application/pdf"))]
    item = client.post(f"/knowledge-bases/{kb_id}/documents", files=files).json()["items"][0]
    assert wait_for_job(client, item["job_id"])["status"] == "done"
    result = _extract(client, kb_id, [item["document"]["id"]])
    assert result["conclusions"], result
    for statement in result["conclusions"] + result["risks"]:
        assert not re.search("免责|均为虚构|仅供.{0,12}演示|不构成.{0,12}建议", statement["text"]), statement["text"]
