"""The chat page in a real browser (Chromium through Playwright) against the real service on a live port:
choosing knowledge bases, streamed cited answers, the source panel (PDF page with its box, a recording at the
cited time), feedback, history after a reload, both languages, a narrow window, and the error, stop, empty and
"not found" states. Extractive answers (no LLM) keep it fast. SQLite and PostgreSQL (conftest)."""
from __future__ import annotations

import io
import json
import time

import httpx
import pytest

from zhiku.core.settings import Settings
from tests.credentials import AuthorizedUrl, authorize_browser
from tests.conftest import ARTIFACTS, make_runtime
from tests.live_server import live_server
from tests.page_wait import wait_for_js
from tests.media import require_media_tools, silence_then, speech_wav

SPEECH = "Good morning. Today's meeting is about the loan approval process. Loan approval takes three working days."


@pytest.fixture
def chat_server(tmp_path, database_url, shared_embedder, shared_ocr_reader, shared_transcriber):
    """The service on a free port, with no knowledge graph and extractive answers: what the page needs, fast."""
    from zhiku.api.app import create_app

    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, chunk_size=200, chunk_overlap=40,
                        parent_chunk_size=800, graph_enabled=False, search_mode="hybrid", answer_mode="extractive",
                        asr_window_seconds=60, _env_file=None)
    runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    try:
        with live_server(create_app(settings, runtime)) as base_url:
            base_url = AuthorizedUrl.of(base_url, settings)
            yield base_url
    finally:
        runtime.close()


def fee_pdf() -> bytes:
    """Two pages of Chinese text (reportlab's built-in CID font): the card fees are on page 2."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    width, height = 595, 842
    pdf = canvas.Canvas(out, pagesize=(width, height), invariant=True)
    pdf.setTitle("")
    pages = [[("华通信用卡业务手册", 18), ("第一章 挂失", 14), ("信用卡丢失后请立即拨打客服热线95500-8办理挂失。", 11)],
             [("第二章 年费", 14), ("华通白金卡年费1,200元/年，当年消费满18万元可减免次年年费。", 11),
              ("华通金卡年费200元/年，当年刷卡满6次免次年年费。", 11)]]
    for lines in pages:
        y = 100
        for text, size in lines:
            pdf.setFont("STSong-Light", size)
            pdf.drawString(72, height - y, text)
            y += size * 2.2
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _kb(http: httpx.Client, name: str) -> str:
    response = http.post("/knowledge-bases", json={"name": name, "language": "zh"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _ingest(http: httpx.Client, kb_id: str, name: str, data: bytes, language: str | None = None) -> str:
    response = http.post(f"/knowledge-bases/{kb_id}/documents", files=[("files", (name, data))],
                         data={"language": language} if language else None)
    assert response.status_code == 202, response.text
    item = response.json()["items"][0]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        job = http.get(f"/jobs/{item['job_id']}").json()
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job
            return item["document"]["id"]
        time.sleep(0.2)
    raise AssertionError(f"{name} was not ingested in time")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"chat-{name}.png"))


def _no_horizontal_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")


def _conversation_id(page) -> str:
    wait_for_js(page, "/^#c=/.test(location.hash)")
    return page.evaluate("location.hash.slice(3)")


def test_chat_page_answers_with_sources_feedback_history_languages_and_a_narrow_window(chat_server, browser_page,
                                                                                        tmp_path):
    require_media_tools()
    http = httpx.Client(base_url=chat_server, headers=chat_server.admin, timeout=60)
    cards = _kb(http, "信用卡")
    other = _kb(http, "外汇")
    _ingest(http, cards, "信用卡手册.pdf", fee_pdf())
    clip = silence_then(tmp_path / "meeting.wav", speech_wav(tmp_path / "speech.wav", SPEECH), silence_s=4.0)
    _ingest(http, cards, "周会录音.wav", clip.read_bytes(), language="en")
    _ingest(http, other, "外汇.md", "# 外汇买卖\n外汇买卖的营业时间为每个工作日9:00至17:00。\n".encode())

    page = browser_page
    authorize_browser(page, chat_server)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=chat_server)
    page.goto(f"{chat_server}/ui/index.html")
    page.wait_for_selector("#kb-picker input")
    assert page.locator(".chat-empty").is_visible()  # no conversation yet: the empty state
    assert page.locator("#conv-box .state.empty").is_visible()
    _shot(page, "empty")

    # Pick the knowledge base: only 信用卡.
    page.locator("#kb-picker label", has_text="外汇").locator("input").uncheck()
    assert "信用卡" in page.locator("#scope-summary").inner_text()

    # Ask in Chinese with the keyboard: Enter sends.
    page.fill("#question", "白金卡的年费是多少？")
    page.press("#question", "Enter")
    answer = page.locator(".msg.assistant").last
    answer.locator(".msg-actions").wait_for()
    assert "1,200元" in answer.locator(".answer").inner_text()
    assert answer.locator(".badge.mode-extractive").is_visible()
    assert answer.get_attribute("aria-busy") == "false"
    chip = answer.locator(".answer .chip.cite").first
    assert "信用卡手册.pdf" in chip.get_attribute("aria-label")
    assert answer.locator(".source-list .source-chip").count() >= 1
    assert page.locator("#send").is_enabled() and page.locator("#stop").is_hidden()
    conversation_id = _conversation_id(page)
    # the conversation and its feedback belong to the signed-in user: read them as that user (the browser session)
    stored = page.request.get(f"{chat_server}/assistant/conversations/{conversation_id}").json()
    assert stored["knowledge_bases"] == [cards]  # the picked knowledge base only
    _shot(page, "answer")

    # The chip opens the PDF page with the cited box highlighted and the question's words marked.
    chip.focus()
    page.keyboard.press("Enter")  # keyboard accessible
    panel = page.locator(".source-panel")
    panel.wait_for()
    box = panel.locator(".page-view .box")
    box.wait_for()
    wait_for_js(page, "document.querySelector('.source-panel .page-view img').naturalWidth > 0")
    size = box.bounding_box()
    assert size and size["width"] > 5 and size["height"] > 3
    assert panel.locator(".snippet mark").count() > 0
    assert "年费" in panel.locator(".snippet").inner_text()
    assert "信用卡手册.pdf" in panel.locator("#source-title").inner_text()
    _shot(page, "source-pdf")
    page.keyboard.press("Escape")
    assert panel.is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('cite')")  # focus back on the chip

    # Copy: the answer with its sources.
    answer.locator("button.copy").click()
    page.wait_for_selector(".toast.ok")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "1,200元" in copied and "信用卡手册.pdf" in copied

    # Thumbs down with a comment is stored for evaluation.
    answer.locator("button.thumb.down").click()
    assert answer.locator("button.thumb.down").get_attribute("aria-pressed") == "true"
    answer.locator(".feedback-form textarea").fill("没有说明减免条件的时限")
    answer.locator(".feedback-form button[type=submit]").click()
    answer.locator(".feedback-done span").wait_for()
    assert answer.locator(".feedback-form").is_hidden()
    feedback = page.request.get(f"{chat_server}/assistant/feedback").json()
    assert feedback[0]["rating"] == "down" and feedback[0]["comment"] == "没有说明减免条件的时限"
    assert feedback[0]["question"] == "白金卡的年费是多少？"

    # A follow-up suggestion asks its question in the same conversation.
    follow_ups = answer.locator(".follow-up")
    if follow_ups.count():
        question = follow_ups.first.inner_text()
        follow_ups.first.click()
        page.locator(".msg.assistant").nth(1).locator(".msg-actions").wait_for()
        assert page.locator(".msg.user .text").nth(1).inner_text().strip() == question
        assert _conversation_id(page) == conversation_id

    # A new conversation about the recording: the player starts at the cited time. (Whisper base hears the
    # synthetic voice's "loan" as "own", so the question keeps to the words it hears reliably.)
    page.click("#new-chat")
    assert page.locator(".chat-empty").is_visible()
    page.fill("#question", "How many working days does approval take?")
    page.click("#send")
    audio_answer = page.locator(".msg.assistant").last
    audio_answer.locator(".msg-actions").wait_for()
    assert not audio_answer.evaluate("el => el.classList.contains('not-found')")
    audio_id = _conversation_id(page)
    assert audio_id != conversation_id
    cited = page.request.get(f"{chat_server}/assistant/conversations/{audio_id}").json()["messages"][-1]["citations"]
    n = next(i for i, c in enumerate(cited, start=1) if c["document_name"] == "周会录音.wav")
    start = cited[n - 1]["start_s"]
    assert start >= 3.0
    audio_answer.locator(f".source-chip[data-n='{n}']").click()
    player = page.locator(".source-panel audio")
    player.wait_for(state="attached")
    assert float(player.get_attribute("data-start")) == pytest.approx(start)
    wait_for_js(page,
        f"(() => {{ const a = document.querySelector('.source-panel audio');"
        f" return a.readyState >= 1 && Math.abs(a.currentTime - {start}) < 0.6; }})()")
    _shot(page, "source-audio")
    page.keyboard.press("Escape")

    # Both conversations are listed; after a reload the one in the address loads its history again.
    titles = page.locator("#conv-box .conv-title").all_inner_texts()
    assert "白金卡的年费是多少？" in titles and "How many working days does approval take?" in titles
    page.reload()
    page.locator(".msg.assistant .msg-actions").first.wait_for()
    assert page.locator(".msg.user .text").first.inner_text().strip() == "How many working days does approval take?"
    assert page.locator("#chat-title").inner_text() == "How many working days does approval take?"
    page.locator(".conv-open", has_text="白金卡的年费是多少？").click()
    wait_for_js(page, f"location.hash === '#c={conversation_id}'")
    first = page.locator(".msg.assistant").first
    first.locator(".msg-actions").wait_for()
    assert "1,200元" in first.locator(".answer").inner_text()
    assert first.locator(".answer .chip.cite").count() >= 1  # history keeps its citations
    assert first.locator(".badge.mode").inner_text() == "原文摘录"  # and how each answer was made
    assert page.locator(".conv.current .conv-title").inner_text() == "白金卡的年费是多少？"
    first.locator(".answer .chip.cite").first.click()
    page.locator(".source-panel .page-view .box").wait_for()
    page.keyboard.press("Escape")

    # English interface.
    assert page.locator("#new-chat").inner_text() == "新对话"
    page.click("#lang-switch")
    assert page.locator("#new-chat").inner_text() == "New conversation"
    assert page.locator("#send").inner_text() == "Send"
    assert page.locator("#question").get_attribute("placeholder").startswith("Ask a question")
    assert page.locator(".source-list").first.evaluate("el => el.previousElementSibling.textContent") == "Sources"
    assert page.locator(".answer .chip.cite").first.get_attribute("aria-label").startswith("Open source 1:")
    assert page.evaluate("document.documentElement.lang") == "en"
    _shot(page, "english")

    # A narrow window: the conversation list folds behind the toggle and nothing overflows.
    page.set_viewport_size({"width": 420, "height": 800})
    assert page.locator("#chat-side").is_hidden()
    toggle = page.locator("#side-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    _no_horizontal_overflow(page)
    _shot(page, "narrow")
    toggle.click()
    assert page.locator("#chat-side").is_visible() and toggle.get_attribute("aria-expanded") == "true"
    _no_horizontal_overflow(page)
    _shot(page, "narrow-conversations")
    page.locator(".conv-open", has_text="How many working days").click()  # picking one folds the list away again
    assert page.locator("#chat-side").is_hidden()
    page.locator(".msg.assistant .msg-actions").first.wait_for()
    _no_horizontal_overflow(page)

    # Delete a conversation (with an inline confirmation).
    page.set_viewport_size({"width": 1280, "height": 900})
    item = page.locator("li.conv", has_text="How many working days")
    item.locator(".conv-delete").click()
    page.locator("li.conv.confirming .conv-confirm").click()
    page.wait_for_selector(".chat-empty")
    assert page.request.get(f"{chat_server}/assistant/conversations/{audio_id}").status == 404
    assert page.locator("#conv-box .conv").count() == 1
    http.close()


SSE_FAILURE = "".join(f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n" for name, data in [
    ("meta", {"conversation_id": "c-failed", "query": "年费", "mode": "llm"}),
    ("delta", {"text": "白金卡年费1,200元。[1] "}),
    ("error", {"error": "llm_unavailable", "message": "所有模型端点都无法连接"}),
])


def test_chat_page_shows_error_stop_not_found_and_empty_states(chat_server, browser_page):
    http = httpx.Client(base_url=chat_server, headers=chat_server.admin, timeout=60)
    _kb(http, "空库")
    page = browser_page
    authorize_browser(page, chat_server)

    # The conversation list and the knowledge bases fail to load: readable errors with a retry.
    failing = lambda route: route.fulfill(  # noqa: E731
        status=500, content_type="application/json", body=json.dumps({"error": "internal_error", "message": "数据库不可用"}))
    page.route("**/assistant/conversations", failing)
    page.route("**/knowledge-bases", failing)
    page.goto(f"{chat_server}/ui/index.html")
    for box in ("#conv-box", "#kb-picker"):
        error = page.locator(f"{box} .state.error")
        error.wait_for()
        assert "数据库不可用" in error.inner_text()
    assert page.locator(".chat-empty").is_visible()
    _shot(page, "load-errors")
    page.unroute("**/assistant/conversations")
    page.unroute("**/knowledge-bases")
    page.locator("#conv-box .state.error button").click()
    page.locator("#conv-box .state.empty").wait_for()  # no conversations yet
    page.locator("#kb-picker .state.error button").click()
    page.wait_for_selector("#kb-picker input")
    assert page.locator("#scope-summary").inner_text() == "范围：全部知识库"

    # An error event midway: the partial answer stays, the error is shown in the conversation.
    page.route("**/assistant/chat", lambda route: route.fulfill(
        status=200, content_type="text/event-stream", body=SSE_FAILURE))
    page.fill("#question", "白金卡年费？")
    page.press("#question", "Enter")
    failed = page.locator(".msg.assistant.failed")
    failed.wait_for()
    assert "1,200元" in failed.locator(".answer").inner_text()
    assert "所有模型端点都无法连接" in failed.locator("[role=alert]").inner_text()
    assert failed.locator(".badge.mode-llm").is_visible()
    _shot(page, "error")
    page.unroute("**/assistant/chat")

    # While an answer is awaited: Send is disabled and Stop ends the wait.
    page.click("#new-chat")
    held = []
    page.route("**/assistant/chat", lambda route: held.append(route))  # never answered: still waiting
    page.fill("#question", "信用卡丢了怎么办？")
    page.click("#send")
    wait_for_js(page, "document.querySelector('#stop') && !document.querySelector('#stop').hidden")
    assert page.locator("#send").is_disabled()
    assert page.locator(".msg.assistant .searching").is_visible()
    _shot(page, "waiting")
    page.click("#stop")
    page.locator(".msg.assistant .stopped").wait_for()
    assert page.locator("#send").is_enabled() and page.locator("#stop").is_hidden()
    page.unroute("**/assistant/chat")

    # A busy service (its work queue full: 503 with Retry-After, the request never started): the page waits as told
    # and asks again instead of showing an error.
    refusals = []

    def busy_twice(route):
        if len(refusals) < 2:
            refusals.append(time.monotonic())
            route.fulfill(status=503, headers={"Retry-After": "1"}, content_type="application/json",
                          body=json.dumps({"error": "overloaded", "message": "The service is busy"}))
        else:
            route.continue_()
    page.route("**/assistant/chat", busy_twice)
    page.click("#new-chat")
    page.fill("#question", "外汇期权的保证金比例是多少？")
    page.press("#question", "Enter")
    page.locator(".msg.assistant.not-found").wait_for()
    assert len(refusals) == 2 and refusals[1] - refusals[0] >= 1.0  # Retry-After was honoured
    assert page.locator(".msg.assistant.failed").count() == 0
    page.unroute("**/assistant/chat")

    # The real service: nothing in the knowledge base, so a distinct "not found" answer.
    page.click("#new-chat")
    page.fill("#question", "外汇期权的保证金比例是多少？")
    page.press("#question", "Enter")
    not_found = page.locator(".msg.assistant.not-found")
    not_found.wait_for()
    not_found.locator(".msg-actions").wait_for()
    assert not_found.locator(".not-found-badge").inner_text() == "未找到答案"
    assert not_found.locator(".chip").count() == 0
    not_found.locator("button.copy").click()  # no clipboard permission here: the fallback copies
    page.locator(".toast.ok", has_text="已复制").wait_for()
    _shot(page, "not-found")

    # No knowledge base chosen: asking is refused with a message and the picker is shown.
    page.locator("#kb-picker input").uncheck()
    page.fill("#question", "年费？")
    page.press("#question", "Enter")
    page.locator(".toast.error", has_text="请至少选择一个知识库").wait_for()
    assert page.locator(".msg.user").count() == 1

    # A link to a conversation that no longer exists: said so, and a new conversation starts.
    page.goto(f"{chat_server}/ui/index.html#c=deleted-meanwhile")
    page.locator(".toast.error", has_text="这个会话已不存在").wait_for()
    page.locator(".chat-empty").wait_for()
    assert page.evaluate("location.hash") == ""
    http.close()
