"""The scenario pages in a real browser against a real server: the credit report writer (credit.html) and
research (research.html). One module-scoped server ingests the demo company's six materials (OCR, speech, index)
and the demo research report PDF into one knowledge base; a second, empty knowledge base takes an upload."""
from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pdfplumber
import pytest
from docx import Document as DocxDocument
from playwright.sync_api import expect

from tests.credentials import AuthorizedUrl, authorize_browser
from tests.conftest import ARTIFACTS, graph_settings, make_runtime
from tests.live_server import live_server

DEMO = Path(__file__).resolve().parent.parent / "demo"
TRUTH = json.loads((DEMO / "credit_company.json").read_text(encoding="utf-8"))
COMPANY = TRUTH["company"]
RESEARCH_PDF = "研究报告_沧澜港航集团有限公司_2025年度信用分析.pdf"
KB = "scenarios"
UPLOAD_KB = "uploads"
DRAFT_TIMEOUT = 180_000  # ms: a draft searches, extracts and checks every section


@pytest.fixture(scope="module")
def server(tmp_path_factory, bolt_server, shared_embedder, shared_ocr_reader, shared_transcriber):
    from zhiku.api.app import create_app
    from zhiku.core.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("ui-scenarios"), _env_file=None, **graph_settings(bolt_server))
    runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    try:
        with live_server(create_app(settings, runtime)) as base:
            base = AuthorizedUrl.of(base, settings)
            with httpx.Client(base_url=base, headers=base.admin, timeout=120) as http:
                kb_id = http.post("/knowledge-bases", json={"name": KB, "language": "zh"}).json()["id"]
                http.post("/knowledge-bases", json={"name": UPLOAD_KB, "language": "zh"}).raise_for_status()
                files = [("files", (name, (DEMO / "bank_kb" / name).read_bytes(), "application/octet-stream"))
                         for name in [*TRUTH["documents"], RESEARCH_PDF]]
                assert http.post(f"/knowledge-bases/{kb_id}/documents", files=files).status_code == 202
                assert runtime.jobs.wait_idle(timeout=900)
                documents = http.get(f"/knowledge-bases/{kb_id}/documents").json()
                assert len(documents) == 7
                assert all(d["status"] == "done" for d in documents), [(d["name"], d["error"]) for d in documents]
            yield base
    finally:
        runtime.close()


def _pick_kb(page, name: str) -> None:
    page.locator("#kb-picker label", has_text=name).click()
    expect(page.locator("#kb-picker label", has_text=name).locator("input")).to_be_checked()


def _document(page, name: str):
    return page.locator("#documents label.doc", has_text=name).locator("input[type=checkbox]")


def _no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"the page is {width} px wide"


def _issuer_in_pdf() -> str:
    with pdfplumber.open(DEMO / "bank_kb" / RESEARCH_PDF) as pdf:
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    return re.search(r"发行人[：:]\s*(\S+)", text).group(1)


def _draft_credit_report(page, server: str) -> None:
    page.goto(f"{server}/ui/credit.html")
    _pick_kb(page, KB)
    expect(page.locator("#documents label.doc")).to_have_count(7)
    page.fill("#company", COMPANY)
    for name in TRUTH["documents"]:
        expect(_document(page, name)).to_be_checked()
    expect(_document(page, RESEARCH_PDF)).not_to_be_checked()
    expect(page.locator("#docs-count")).to_have_text("已选 6 / 7 个")
    page.click("#draft")
    expect(page.locator("#report-heading")).to_be_visible(timeout=DRAFT_TIMEOUT)


# -- the credit report writer -------------------------------------------------------------------------
def test_credit_page_drafts_a_cited_report_to_download(browser_page, server, tmp_path):
    page = browser_page
    authorize_browser(page, server)
    page.goto(f"{server}/ui/credit.html")
    _pick_kb(page, KB)
    expect(page.locator("#documents label.doc")).to_have_count(7)
    # Companies named in the documents are suggested; choosing one ticks its materials (the server's rule).
    page.locator("#company-suggestions button", has_text=COMPANY).click()
    expect(page.locator("#company")).to_have_value(COMPANY)
    for name in TRUTH["documents"]:
        expect(_document(page, name)).to_be_checked()
    expect(_document(page, RESEARCH_PDF)).not_to_be_checked()

    page.click("#draft")
    expect(page.locator("#draft")).to_be_disabled()             # the loading state while drafting
    expect(page.locator("#report-body .state.loading")).to_be_visible()
    expect(page.locator("#report-heading")).to_be_visible(timeout=DRAFT_TIMEOUT)
    expect(page.locator("#draft")).to_be_enabled()
    expect(page.locator("#report-heading")).to_contain_text(COMPANY)

    # Figures as copied from the statements; ratios marked as computed, with their formula.
    revenue = page.locator("table.figures tr[data-item=revenue]")
    expect(revenue.get_by_role("cell", name=TRUTH["figures"]["营业收入"]["2025"], exact=True)).to_be_visible()
    expect(revenue.get_by_role("cell", name=TRUTH["figures"]["营业收入"]["2024"], exact=True)).to_be_visible()
    debt_ratio = page.locator("table.figures tr.computed[data-item=debt_ratio]")
    expect(debt_ratio).to_contain_text("负债合计 / 资产总计")
    expect(debt_ratio.locator(".badge.calc")).to_be_visible()

    # The missing collateral: a gap in its section and in the gap list.
    expect(page.locator("[data-section=guarantees_collateral] .section-gaps")).to_contain_text("抵押物")
    expect(page.locator("#report-gaps")).to_contain_text("抵押物/质押物")
    expect(page.locator("#report-gaps")).to_contain_text("材料中未找到")

    # A citation chip opens the cited passage; Escape closes it and gives the focus back (keyboard use).
    chip = revenue.locator("button.cite").first
    chip.focus()
    page.keyboard.press("Enter")
    panel = page.locator(".source-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#source-title")).to_contain_text("财务报表")
    expect(panel.locator(".snippet")).to_contain_text(TRUTH["figures"]["营业收入"]["2025"])
    expect(panel.locator(".snippet mark").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(chip).to_be_focused()
    # A field's citation (the licence, a scanned image) opens its page with the cited box.
    page.locator("[data-section=company_profile] .statement", has_text="企业名称").locator("button.cite").first.click()
    expect(panel.locator("#source-title")).to_contain_text("营业执照")
    expect(panel.locator(".page-view img")).to_be_visible()
    expect(panel.locator(".page-view .box")).to_be_attached()
    expect(panel.locator(".snippet")).to_contain_text(COMPANY)
    panel.locator("[data-close]").click()

    # The DOCX downloads and opens, with the figure in its table.
    with page.expect_download() as download:
        page.click("#download-docx")
    target = tmp_path / "report.docx"
    download.value.save_as(target)
    assert download.value.suggested_filename.endswith(".docx")
    document = DocxDocument(str(target))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert TRUTH["figures"]["营业收入"]["2025"] in cells
    assert any("企业基本情况" in p.text for p in document.paragraphs)
    expect(page.locator("#download-md")).to_have_attribute("href", re.compile(r"format=md$"))

    # In English the interface and the gap reasons follow the language.
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Credit report writer")
    expect(page.locator("#report-gaps")).to_contain_text("not found in the materials")
    expect(page.locator("#download-docx")).to_have_text("Download DOCX")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("授信调查报告撰写")
    page.evaluate("window.scrollTo(0, 0)")


def test_credit_page_explains_a_company_without_materials(browser_page, server):
    page = browser_page
    authorize_browser(page, server)
    page.goto(f"{server}/ui/credit.html")
    _pick_kb(page, KB)
    expect(page.locator("#documents label.doc")).to_have_count(7)
    page.fill("#company", "北京不存在科技有限公司")
    expect(page.locator("#docs-count")).to_have_text("已选 0 / 7 个")
    page.click("#draft")
    error = page.locator("#report-body .state.error")
    expect(error).to_contain_text("没有文档的名称包含“北京不存在科技”")
    expect(error.get_by_role("button", name="重试")).to_be_visible()
    # The empty knowledge base says so.
    _pick_kb(page, UPLOAD_KB)
    expect(page.locator("#documents .state.empty")).to_be_visible()


# -- research -------------------------------------------------------------------------------------------
def test_research_page_extracts_fields_answers_and_drafts(browser_page, server, tmp_path):
    page = browser_page
    authorize_browser(page, server)
    page.goto(f"{server}/ui/research.html")
    _pick_kb(page, KB)
    expect(page.locator("#documents label.doc")).to_have_count(7)
    expect(page.locator("#extract-body .state.empty")).to_be_visible()
    _document(page, RESEARCH_PDF).check()

    page.click("#extract")
    expect(page.locator("#extract")).to_be_disabled()
    expect(page.locator("#fields-table")).to_be_visible(timeout=DRAFT_TIMEOUT)
    issuer = _issuer_in_pdf()
    expect(page.locator("tr[data-field=issuer] td.value")).to_have_text(issuer)
    expect(page.locator("tr[data-field=coupon] td.value")).to_have_text("2.45%")
    expect(page.locator("#subject")).to_have_value(issuer)               # the issuer found names the draft
    expect(page.locator("tr[data-metric=revenue]").get_by_role("cell", name="236.85", exact=True)).to_be_visible()
    expect(page.locator("tr.computed[data-metric=debt_ratio]")).to_contain_text("57.69%")
    expect(page.locator("#risks li").first).to_be_visible()
    # The issuer's citation opens its page of the PDF with the cited box.
    page.locator("tr[data-field=issuer] button.cite").click()
    panel = page.locator(".source-panel")
    expect(panel.locator("#source-title")).to_contain_text(RESEARCH_PDF)
    expect(panel.locator(".page-view .box")).to_be_attached()
    expect(panel.locator(".snippet")).to_contain_text(issuer)
    page.keyboard.press("Escape")

    # A question answered from the chosen report only, streamed, with citation chips.
    page.fill("#question", "发行人的主要风险有哪些？")
    page.keyboard.press("Enter")
    answer = page.locator(".qa-item .answer").first
    expect(answer.locator("button.cite").first).to_be_visible(timeout=60_000)
    assert int(answer.get_attribute("data-deltas")) >= 1                # it arrived in pieces (SSE delta events)
    expect(answer).to_contain_text("风险")
    answer.locator("button.cite").first.click()
    expect(panel.locator("#source-title")).to_contain_text(RESEARCH_PDF)
    page.keyboard.press("Escape")
    # A question about another company's materials is not answered from this report.
    page.fill("#question", "江南恒泰精密制造有限公司的实际控制人是谁？")
    page.click("#ask")
    expect(page.locator(".qa-item.not-found").first).to_contain_text("所选报告中没有找到答案")

    # A draft from the research template, downloaded as DOCX.
    page.click("#draft")
    expect(page.locator("#draft-docx")).to_be_visible(timeout=DRAFT_TIMEOUT)
    expect(page.locator("#draft-heading")).to_contain_text(issuer)
    with page.expect_download() as download:
        page.click("#draft-docx")
    target = tmp_path / "research.docx"
    download.value.save_as(target)
    text = "\n".join(p.text for p in DocxDocument(str(target)).paragraphs)
    assert issuer in text and "出处 / Sources" in text
    page.evaluate("window.scrollTo(0, 0)")


def test_research_page_uploads_a_report_and_lists_missing_fields(browser_page, server):
    page = browser_page
    authorize_browser(page, server)
    page.goto(f"{server}/ui/research.html")
    _pick_kb(page, UPLOAD_KB)
    expect(page.locator("#documents .state.empty")).to_be_visible()
    page.click("#extract")                                               # nothing ticked: said, not sent
    expect(page.locator("#toasts .toast")).to_contain_text("请先勾选至少一份报告")
    note = ("# 云帆测试航运有限公司 债券简评\n\n（虚构测试材料 / fictional test material）\n\n"
            "发行人：云帆测试航运有限公司\n\n票面利率：3.10%\n\n债券简称：25云帆01\n")
    page.set_input_files("#upload-file", files=[{"name": "债券简评_云帆测试航运有限公司.md", "mimeType": "text/markdown",
                                                 "buffer": note.encode()}])
    page.click("#upload-button")
    expect(page.locator("#upload-status")).to_contain_text("已入库", timeout=120_000)
    document = _document(page, "债券简评_云帆测试航运有限公司.md")
    expect(document).to_be_checked()                                     # ticked when ready
    page.click("#extract")
    expect(page.locator("tr[data-field=issuer] td.value")).to_have_text("云帆测试航运有限公司", timeout=DRAFT_TIMEOUT)
    expect(page.locator("tr[data-field=coupon] td.value")).to_have_text("3.10%")
    missing = page.locator("#missing-fields")
    expect(missing.locator("li[data-field=rating_agency]")).to_have_text("评级机构")
    expect(missing.locator("li[data-field=maturity_date]")).to_be_visible()
    expect(page.locator("tr[data-field=rating_agency]")).to_have_count(0)  # never filled in


# -- narrow windows -------------------------------------------------------------------------------------
@pytest.mark.parametrize("page_name", ["credit", "research"])
def test_scenario_pages_fit_a_narrow_window(browser_page, server, page_name):
    page = browser_page
    authorize_browser(page, server)
    page.set_viewport_size({"width": 420, "height": 800})
    if page_name == "credit":
        _draft_credit_report(page, server)
    else:
        page.goto(f"{server}/ui/research.html")
        _pick_kb(page, KB)
        _document(page, RESEARCH_PDF).check()
        page.click("#extract")
        expect(page.locator("#fields-table")).to_be_visible(timeout=DRAFT_TIMEOUT)
    _no_horizontal_overflow(page)
    page.evaluate("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{page_name}_narrow_420.png"), full_page=True)
    # Keyboard: the first Tab reaches the skip link, which leads to the page's content.
    page.reload()
    expect(page.locator("#kb-picker input").first).to_be_attached()
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.locator(".skip-link")).to_have_text("跳到正文")
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
