"""Two people sign in through the real sign-in page (issue #11, item 6): a credit officer (group "credit") and a
teller, on one knowledge base that holds a public document and a document only the credit group may read. The
teller finds nothing of the restricted document anywhere in the UI — the chat page's answer, citations and
sources, the admin page's document list, search test and graph explorer, the file link and text preview — and
the officer finds it in each. Real service on a live port, real Bolt graph server, extractive answers (fast).

What makes it fail if access were not enforced: the restricted document's marker strings (its file name, a
company named only there, a review number and a rating) would show in the teller's answer, search hits, document
table or graph search, and its file would be served to the teller (see the `leaked` assertions)."""
from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import graph_settings, make_runtime
from tests.live_server import live_server
from tests.page_wait import wait_for_js
from tests.credentials import AuthorizedUrl
from tests.test_ui_identity import PASSWORDS, sign_in
from zhiku.core.settings import Settings

PUBLIC_NAME = "网点营业时间.md"
PUBLIC = ("# 网点营业时间\n\n华夏通商银行各网点的营业时间为每个工作日9:00至17:00，"
          "个人客户办理业务须携带本人身份证件。\n")
RESTRICTED_NAME = "青松岭授信审查意见.md"
COMPANY = "青松岭稀土矿业有限公司"
REVIEW_NUMBER = "QSLX-7731"
RESTRICTED = (f"# 授信审查意见\n\n华夏通商银行北京分行向{COMPANY}发放流动资金贷款5000万元，审查编号{REVIEW_NUMBER}。"
              f"{COMPANY}的内部信用评级为BB-级，授信额度为5000万元。\n")
# nowhere but in the restricted document (the bank is in both; its Beijing branch only in the restricted one)
MARKERS = (RESTRICTED_NAME, COMPANY, "青松岭", REVIEW_NUMBER, "BB-级", "北京分行")
QUESTION = f"{COMPANY}的授信额度是多少？"


@pytest.fixture
def two_users_server(tmp_path, bolt_server, shared_embedder, shared_ocr_reader, shared_transcriber):
    """The service with the demo's people (admin, officer in "credit", teller in "tellers"), the graph on the
    session's Bolt server and extractive answers; the knowledge base and its two documents, uploaded by the admin
    through the API, the restricted one with `readers=group:credit`."""
    from zhiku.api.app import create_app
    from zhiku.api.demo_users import ensure_demo_users

    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'meta.sqlite3'}",
                        chunk_size=200, chunk_overlap=40, parent_chunk_size=800, answer_mode="extractive",
                        search_mode="hybrid", _env_file=None, **graph_settings(bolt_server))
    runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    ensure_demo_users(runtime.identity)
    try:
        with live_server(create_app(settings, runtime)) as url:
            url = AuthorizedUrl.of(url, settings)
            with httpx.Client(base_url=url, headers=url.admin, timeout=60) as http:
                kb = http.post("/knowledge-bases", json={"name": "支行资料", "language": "zh"})
                assert kb.status_code == 201, kb.text
                url.kb_id = kb.json()["id"]
                url.public_id = _ingest(http, url.kb_id, PUBLIC_NAME, PUBLIC, None)
                url.restricted_id = _ingest(http, url.kb_id, RESTRICTED_NAME, RESTRICTED, "group:credit")
            yield url
    finally:
        runtime.close()


def _ingest(http: httpx.Client, kb_id: str, name: str, text: str, readers: str | None) -> str:
    reply = http.post(f"/knowledge-bases/{kb_id}/documents", files=[("files", (name, text.encode()))],
                      data={"readers": readers} if readers else None)
    assert reply.status_code == 202, reply.text
    item = reply.json()["items"][0]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # "done" after the graph stage too
        job = http.get(f"/jobs/{item['job_id']}").json()
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job
            return item["document"]["id"]
        time.sleep(0.2)
    raise AssertionError(f"{name} was not ingested in time")


def _sign_in_as(page, base, username: str, next_page: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/ui/login.html?next={next_page}")
    sign_in(page, base, username, PASSWORDS[username])
    expect(page).to_have_url(f"{base}{next_page}")


def _ask(page, base) -> str:
    """Ask the question on the chat page; the finished answer's text, citations and sources together."""
    page.goto(f"{base}/ui/index.html")
    page.wait_for_selector("#kb-picker input")
    page.fill("#question", QUESTION)
    page.click("#send")
    answer = page.locator(".msg.assistant").last
    answer.locator(".msg-actions").wait_for()
    chips = answer.locator(".answer .chip.cite, .source-list .source-chip")
    labels = [chips.nth(i).get_attribute("aria-label") or "" for i in range(chips.count())]
    return answer.inner_text() + "\n" + "\n".join(labels)


def _search_test(page) -> str:
    page.locator("#tab-search").click()
    page.locator("#search-form [name=query]").fill(QUESTION)
    page.locator("#search-form button[type=submit]").click()
    expect(page.locator("#search-results .search-summary").first).to_be_visible()  # the reply has been drawn
    return page.locator("#search-results").inner_text()


def _graph_search(page, query: str) -> None:
    page.locator("#tab-graph").click()
    page.locator("#panel-graph [name=q]").fill(query)
    page.locator("#panel-graph [name=q]").press("Enter")


def leaked(text: str, typed: str = "") -> list[str]:
    """The markers in `text`, bar those in what the user typed there (their own question or graph query)."""
    text = text.replace(typed, "") if typed else text
    return [marker for marker in MARKERS if marker in text]


def test_the_teller_sees_nothing_of_the_credit_groups_document_and_the_officer_sees_it(browser_page,
                                                                                      two_users_server):
    page, base = browser_page, two_users_server
    admin_page = f"/ui/admin.html#kb={base.kb_id}"

    # -- the credit officer: the answer cites the restricted document; the admin page lists and finds it ------
    _sign_in_as(page, base, "officer", "/ui/index.html")
    expect(page.locator("#user-name")).to_contain_text("信贷员 Li")
    officer_answer = _ask(page, base)
    assert REVIEW_NUMBER in officer_answer or "5000万元" in officer_answer, officer_answer
    assert RESTRICTED_NAME in officer_answer, officer_answer  # a citation names the restricted document
    wait_for_js(page, "/^#c=/.test(location.hash)")
    officer_conversation = page.evaluate("location.hash.slice(3)")
    page.goto(f"{base}{admin_page}")
    rows = page.locator("#docs tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#docs")).to_contain_text(RESTRICTED_NAME)
    assert COMPANY in _search_test(page)
    _graph_search(page, "青松岭")
    expect(page.locator(f'#panel-graph .graph-results [data-key]', has_text=COMPANY).first).to_be_visible()
    assert page.context.request.get(f"{base}/documents/{base.restricted_id}/file").status == 200
    assert page.context.request.get(f"{base}/documents/{base.restricted_id}/text").status == 200

    # -- the teller, on the same page after the officer signed out ------------------------------------------
    page.click("#sign-out")
    expect(page).to_have_url(re.compile(r"/ui/login\.html"))
    _sign_in_as(page, base, "teller", "/ui/index.html")
    expect(page.locator("#user-name")).to_contain_text("柜员 Wang")
    teller_answer = _ask(page, base)
    assert not leaked(teller_answer), teller_answer  # answer, citation chips and sources
    assert not leaked(page.locator("body").inner_text(), QUESTION)  # the whole chat page, the conversation list too
    expect(page.locator("#conv-box .conv-title")).to_have_count(1)  # the officer's conversation is not the teller's
    # nor does its address open it: the page shows no message of it, the API answers 404
    assert page.context.request.get(f"{base}/assistant/conversations/{officer_conversation}").status == 404
    page.goto(f"{base}/ui/index.html#c={officer_conversation}")
    page.wait_for_selector("#kb-picker input")
    expect(page.locator(".toast.error").last).to_contain_text("这个会话已不存在")
    expect(page.locator(".msg.assistant")).to_have_count(0)
    assert not leaked(page.locator("body").inner_text(), QUESTION)

    page.goto(f"{base}{admin_page}")
    expect(page.locator("#kb-title")).to_have_text("支行资料")
    expect(rows).to_have_count(1)  # the document list: the public document only
    expect(rows.first).to_contain_text(PUBLIC_NAME)
    assert not leaked(page.locator("#kb-list").inner_text() + page.locator("#docs").inner_text())
    expect(page.locator("#kb-list [data-kb]")).to_contain_text("1")  # the count is of the documents it may read
    for control in page.locator("[data-admin-only]").all():  # no upload, settings or permissions for a reader
        expect(control).to_be_hidden()
    expect(page.locator("#kb-new-toggle")).to_be_hidden()  # nor a button to create a knowledge base
    expect(page.locator("#docs tbody [data-action=readers], #docs tbody [data-action=delete]")).to_have_count(0)

    assert not leaked(_search_test(page), QUESTION)  # the search-test panel (it repeats the query's words)
    _graph_search(page, "青松岭")  # the graph explorer: a company named only in the restricted document
    expect(page.locator("#panel-graph .graph-results")).to_contain_text("没有找到名称包含")
    assert not leaked(page.locator("#panel-graph").inner_text(), "“青松岭”")
    _graph_search(page, "华夏通商银行")  # the shared bank: found, but no fact of the restricted document
    expect(page.locator("#panel-graph .graph-results [data-key]").first).to_be_visible()
    keys = [result.get_attribute("data-key") for result in page.locator("#panel-graph .graph-results [data-key]").all()]
    for key in keys:  # each entity found, its neighbourhood and relations drawn
        page.locator(f'#panel-graph .graph-results [data-key="{key}"]').click()
        expect(page.locator(f'#panel-graph .graph-results [data-key="{key}"]')).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#panel-graph .relations-table").or_(
            page.locator("#panel-graph").get_by_text("这个实体没有记录到关系。"))).to_be_visible()
        assert not leaked(page.locator("#panel-graph").inner_text()), page.locator("#panel-graph").inner_text()
    assert not leaked(page.locator("body").inner_text())

    # the file link and the text preview: 404, as if there were no such document
    for path in (f"/documents/{base.restricted_id}/file", f"/documents/{base.restricted_id}/text",
                 f"/documents/{base.restricted_id}"):
        reply = page.context.request.get(f"{base}{path}")
        assert reply.status == 404, (path, reply.status)
        assert not leaked(reply.text())
    opened = page.goto(f"{base}/documents/{base.restricted_id}/file")
    assert opened.status == 404 and not leaked(page.content())
    # and the teller may not read the audit trail (where the officer's question and uploads are recorded), not even
    # on the page of the address it is not offered
    assert page.context.request.get(f"{base}/audit").status == 403
    page.goto(f"{base}/ui/identity.html")
    expect(page.locator("#main")).to_contain_text("只有系统管理员可以")
    expect(page.locator("#tab-audit")).to_have_count(0)
    expect(page.locator("#audit-rows tr")).to_have_count(0)
    assert not leaked(page.locator("body").inner_text())
