"""Issue #15's rough edges of the UI, in a real browser (Chromium through Playwright) against the real service on a
live port: a text preview of Markdown/DOCX citations scrolled to the cited span, the chat keeping the newest
message in view, the scenario pages' materials list saying what is ticked, file pickers in the page's language,
and main labels on one line at 1280 px in English. Text documents and extractive answers keep it fast."""
from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect

from zhiku.core.settings import Settings
from tests.conftest import make_runtime
from tests.credentials import AuthorizedUrl, authorize_browser
from tests.documents import loan_policy_docx
from tests.live_server import live_server
from tests.page_wait import wait_for_js

FILLER = "\n\n".join(f"## 第{i}节 一般规定\n\n本节说明第{i}项一般性的柜面操作要求，与年费无关。" for i in range(1, 41))
HANDBOOK = f"# 柜面业务手册\n\n{FILLER}\n\n## 第四十一节 年费\n\n钻石卡年费为每年3,600元，当年消费满36万元免次年年费。\n"


@pytest.fixture(scope="module")
def polish_server(tmp_path_factory, shared_embedder, shared_ocr_reader, shared_transcriber):
    from zhiku.api.app import create_app

    folder = tmp_path_factory.mktemp("ui-polish")
    settings = Settings(data_dir=folder / "data", database_url=f"sqlite:///{folder / 'meta.sqlite3'}", chunk_size=200,
                        chunk_overlap=40, parent_chunk_size=800, graph_enabled=False, search_mode="hybrid",
                        answer_mode="extractive", _env_file=None)
    runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    try:
        with live_server(create_app(settings, runtime)) as base:
            base = AuthorizedUrl.of(base, settings)
            with httpx.Client(base_url=base, headers=base.admin, timeout=120) as http:
                kb_id = http.post("/knowledge-bases", json={"name": "柜面", "language": "zh"}).json()["id"]
                files = [("files", ("柜面业务手册.md", HANDBOOK.encode())), ("files", ("住房贷款办法.docx", loan_policy_docx()))]
                files += [("files", (f"通知{i:02d}.md", f"# 通知{i}\n\n第{i}号通知：营业时间调整为九点至五点。\n".encode()))
                          for i in range(1, 13)]
                assert http.post(f"/knowledge-bases/{kb_id}/documents", files=files).status_code == 202
                assert runtime.jobs.wait_idle(timeout=600)
                documents = http.get(f"/knowledge-bases/{kb_id}/documents").json()
                assert all(d["status"] == "done" for d in documents), [(d["name"], d["error"]) for d in documents]
            yield base
    finally:
        runtime.close()


def _ask(page, question: str):
    page.fill("#question", question)
    page.press("#question", "Enter")
    answer = page.locator(".msg.assistant").last
    answer.locator(".msg-actions").wait_for()
    return answer


def test_markdown_and_docx_citations_open_a_text_preview_scrolled_to_the_cited_span(polish_server, browser_page):
    page = browser_page
    authorize_browser(page, polish_server)
    page.goto(f"{polish_server}/ui/index.html")
    page.wait_for_selector("#kb-picker input")
    answer = _ask(page, "钻石卡年费是多少？")
    assert "3,600元" in answer.locator(".answer").inner_text()
    answer.locator(".answer .chip.cite").first.click()
    panel = page.locator(".source-panel")
    preview = panel.locator(".text-preview")
    preview.wait_for()
    wait_for_js(page, "document.querySelector('.source-panel .text-preview').dataset.ready === 'true'")
    assert panel.locator("text=该类型没有页面预览").count() == 0
    cited = preview.locator("mark.cited")
    assert "钻石卡年费为每年3,600元" in cited.inner_text()
    assert preview.locator("mark").count() == 1  # the cited span, not every query word
    assert "第1节" in preview.inner_text()  # the whole document, scrolled to the span (it sits after 40 sections)
    assert page.evaluate("""(() => { const box = document.querySelector('.source-panel .text-preview');
        const mark = box.querySelector('mark.cited').getBoundingClientRect(), view = box.getBoundingClientRect();
        return box.scrollTop > 0 && mark.top >= view.top && mark.bottom <= view.bottom; })()""")
    page.keyboard.press("Escape")

    answer = _ask(page, "个人住房贷款期限最长多少年？")
    labels = [answer.locator(".answer .chip.cite").nth(i).get_attribute("aria-label")
              for i in range(answer.locator(".answer .chip.cite").count())]
    index = next(i for i, label in enumerate(labels) if "住房贷款办法.docx" in label)
    answer.locator(".answer .chip.cite").nth(index).click()
    wait_for_js(page, "document.querySelector('.source-panel .text-preview')?.dataset.ready === 'true'")
    assert "三十年" in panel.locator(".text-preview mark.cited").inner_text()


def test_the_chat_keeps_the_newest_message_in_view(polish_server, browser_page):
    page = browser_page
    authorize_browser(page, polish_server)
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(f"{polish_server}/ui/index.html")
    page.wait_for_selector("#kb-picker input")
    for question in ("钻石卡年费是多少？", "营业时间是几点？", "个人住房贷款期限最长多少年？", "钻石卡免年费的条件是什么？"):
        _ask(page, question)
        page.wait_for_timeout(300)  # late layout (chips, fonts) settles
        gap = page.evaluate("""(() => { const box = document.querySelector('#messages');
            const last = [...box.querySelectorAll('.msg')].pop().getBoundingClientRect();
            return last.bottom - box.getBoundingClientRect().bottom; })()""")
        assert gap <= 2, f"the newest message ends {gap:.0f} px below the visible list after {question!r}"


def test_the_credit_materials_list_says_what_is_ticked(polish_server, browser_page):
    page = browser_page
    authorize_browser(page, polish_server)
    page.goto(f"{polish_server}/ui/credit.html")
    page.locator("#kb-picker label", has_text="柜面").click()
    expect(page.locator("#documents label.doc")).to_have_count(14)
    page.click("#docs-none")
    expect(page.locator(".doc-chosen")).to_be_hidden()
    for name in ("通知03.md", "通知12.md", "住房贷款办法.docx"):
        page.locator("#documents label.doc", has_text=name).locator("input").check()
    expect(page.locator("#docs-count")).to_have_text("已选 3 / 14 个")
    chosen = page.locator(".doc-chosen")
    expect(chosen).to_be_visible()
    for name in ("通知03.md", "通知12.md", "住房贷款办法.docx"):
        expect(chosen).to_contain_text(name)
    # it stays in view whatever the list's own scroll position
    page.locator("#documents .doc-list").evaluate("list => { list.scrollTop = 0; }")
    assert chosen.is_visible() and "通知12.md" in chosen.inner_text()


def test_file_pickers_speak_the_pages_language(polish_server, browser_page, tmp_path):
    page = browser_page
    authorize_browser(page, polish_server)
    page.goto(f"{polish_server}/ui/research.html")
    page.wait_for_selector("#kb-picker input")
    native = page.locator("input[type=file]")
    assert native.count() >= 1 and not any(native.nth(i).is_visible() for i in range(native.count()))
    expect(page.locator("#upload-pick")).to_have_text("选择文件…")
    expect(page.locator("#upload-chosen")).to_have_text("未选择文件")
    report = tmp_path / "季度报告.md"
    report.write_text("# 报告\n\n结论：稳定。\n", encoding="utf-8")
    page.set_input_files("#upload-file", str(report))
    expect(page.locator("#upload-chosen")).to_have_text("已选 1 个文件：季度报告.md")
    page.goto(f"{polish_server}/ui/admin.html")
    page.wait_for_load_state("networkidle")
    native = page.locator("input[type=file]")
    assert not any(native.nth(i).is_visible() for i in range(native.count()))


LABELS = ("header.shell nav a, header.shell .brand, main h1, main h2, main legend, main summary, main button.primary, "
          "main .small-button, main .chat-toolbar button")


@pytest.mark.parametrize("page_name", ["index", "admin", "credit", "research"])
def test_main_labels_do_not_wrap_at_1280_px_in_english(polish_server, browser_page, page_name):
    page = browser_page
    authorize_browser(page, polish_server)
    page.goto(f"{polish_server}/ui/{page_name}.html")
    page.evaluate("localStorage.setItem('zhiku.lang', 'en')")
    page.reload()
    page.wait_for_load_state("networkidle")
    time.sleep(0.3)
    wrapped = page.evaluate("""(selector) => [...document.querySelectorAll(selector)]
        .filter((el) => el.offsetParent !== null && el.textContent.trim() && el.getBoundingClientRect().width > 8)  // not visually hidden
        .filter((el) => { const range = document.createRange(); range.selectNodeContents(el);
            const tops = new Set([...range.getClientRects()].filter((r) => r.width > 1).map((r) => Math.round(r.top)));
            return tops.size > 1; })
        .map((el) => el.tagName + ': ' + el.textContent.trim().slice(0, 40) + ' @' + Math.round(el.getBoundingClientRect().width) + 'px')""", LABELS)
    assert wrapped == [], wrapped
