"""The new user's path through the web UI, as issue #6 tells it: open the service's address, upload a scanned
PDF in the admin console, watch it index, ask about it in Chinese on the chat page, click the citation and see
the highlighted region on the page image. Real OCR, index and browser."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from zhiku.core.settings import Settings
from tests.credentials import AuthorizedUrl, authorize_browser
from tests.conftest import ARTIFACTS, graph_settings, make_runtime
from tests.live_server import live_server
from tests.page_wait import wait_for_js
from tests.media import require_media_tools, scanned_page, scanned_pdf

NOTICE = ["华夏通商银行营业时间调整通知", "自2025年3月1日起，", "各网点周六营业时间调整为", "上午九点至下午三点。"]


@pytest.fixture
def base_url(tmp_path, bolt_server, shared_embedder, shared_ocr_reader, shared_transcriber):
    from zhiku.api.app import create_app

    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'meta.sqlite3'}",
                        _env_file=None, **graph_settings(bolt_server))
    runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    try:
        with live_server(create_app(settings, runtime)) as url:
            url = AuthorizedUrl.of(url, settings)
            yield url
    finally:
        runtime.close()


def test_upload_a_scan_watch_it_index_ask_and_see_the_cited_region(browser_page, base_url):
    require_media_tools()
    page = browser_page
    authorize_browser(page, base_url)
    page.goto(base_url)  # the run command's address opens the UI
    expect(page).to_have_url(f"{base_url}/ui/")
    page.get_by_role("link", name="知识管理").click()

    form = page.locator("#kb-create")
    expect(form).to_be_visible()
    form.locator("[name=name]").fill("通知")
    form.locator("button[type=submit]").click()
    expect(page.locator("#kb-title")).to_have_text("通知")

    page.set_input_files("#file-input", files=[{"name": "营业时间通知.pdf", "mimeType": "application/pdf",
                                                "buffer": scanned_pdf([scanned_page(NOTICE)])}])
    item = page.locator('.upload-item[data-name="营业时间通知.pdf"]')
    expect(item.locator(".badge.done")).to_have_text("完成", timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "new_user_indexed.png"), full_page=True)

    page.get_by_role("link", name="问答").click()
    page.wait_for_selector("#kb-picker input")
    page.fill("#question", "周六营业时间是几点到几点？")
    page.press("#question", "Enter")
    answer = page.locator(".msg.assistant").last
    answer.locator(".msg-actions").wait_for(timeout=60_000)
    expect(answer.locator(".answer")).to_contain_text("下午三点")
    answer.locator(".answer .chip.cite").first.click()
    panel = page.locator(".source-panel")
    expect(panel.locator("#source-title")).to_contain_text("营业时间通知.pdf")
    wait_for_js(page, "document.querySelector('.source-panel .page-view img')?.naturalWidth > 0")
    box = panel.locator(".page-view .box").bounding_box()
    image = panel.locator(".page-view img").bounding_box()
    assert box and image and box["width"] > 20 and box["height"] > 5
    # The highlighted region lies on the page image.
    assert image["x"] <= box["x"] and box["x"] + box["width"] <= image["x"] + image["width"] + 1
    assert image["y"] <= box["y"] and box["y"] + box["height"] <= image["y"] + image["height"] + 1
    page.screenshot(path=str(ARTIFACTS / "new_user_citation.png"), full_page=False)
