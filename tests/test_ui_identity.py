"""Signing in through the web UI (issue #11): the sign-in page, the user menu, sign-out, and the users & access
page of a system administrator, in a real browser against the real service."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import make_runtime
from tests.live_server import live_server
from zhiku.api.demo_users import DEMO_USERS
from zhiku.core.settings import Settings

PASSWORDS = {username: password for username, _, password, _, _ in DEMO_USERS}


@pytest.fixture
def base_url(tmp_path, shared_embedder, shared_ocr_reader, shared_transcriber):
    from zhiku.api.app import create_app
    from zhiku.api.demo_users import ensure_demo_users

    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'meta.sqlite3'}",
                        graph_enabled=False, _env_file=None)
    runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    ensure_demo_users(runtime.identity)
    try:
        with live_server(create_app(settings, runtime)) as url:
            yield url
    finally:
        runtime.close()


def sign_in(page, base_url, username, password):
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


def test_sign_in_user_menu_and_sign_out(browser_page, base_url):
    page = browser_page
    page.goto(f"{base_url}/ui/admin.html")
    expect(page).to_have_url(re.compile(r"/ui/login\.html\?next=%2Fui%2Fadmin\.html"))

    sign_in(page, base_url, "teller", "Wrong-Password-1")
    expect(page.locator("#login-error")).to_have_text("Wrong user name or password.")
    expect(page.locator("#password")).to_have_value("")

    sign_in(page, base_url, "teller", PASSWORDS["teller"])
    expect(page).to_have_url(f"{base_url}/ui/admin.html")
    expect(page.locator("#user-name")).to_contain_text("柜员 Wang")
    expect(page.locator("header.shell nav a[href='/ui/identity.html']")).to_have_count(0)  # not an administrator
    expect(page.locator("#kb-list")).to_contain_text("还没有你可以查看的知识库")  # none it may read yet
    expect(page.locator("#kb-new-toggle")).to_be_hidden()  # only system administrators create knowledge bases
    expect(page.locator("#kb-create")).to_be_hidden()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["zhiku_session"]["httpOnly"] and cookies["zhiku_session"]["sameSite"] == "Strict"
    assert not cookies["zhiku_csrf"]["httpOnly"]

    page.click("#sign-out")
    expect(page).to_have_url(re.compile(r"/ui/login\.html"))
    assert "zhiku_session" not in {c["name"] for c in page.context.cookies()}
    page.goto(f"{base_url}/ui/index.html")
    expect(page).to_have_url(re.compile(r"/ui/login\.html"))


def test_an_administrator_manages_users_keys_and_reads_the_audit_trail(browser_page, base_url):
    page = browser_page
    page.goto(f"{base_url}/ui/login.html?next=/ui/identity.html")
    sign_in(page, base_url, "admin", PASSWORDS["admin"])
    expect(page).to_have_url(f"{base_url}/ui/identity.html")
    expect(page.locator("#user-rows tr")).to_have_count(3)
    expect(page.locator("#user-rows tr[data-username='officer']")).to_contain_text("credit")

    form = page.locator("#user-form")
    form.locator("[name=username]").fill("clerk")
    form.locator("[name=password]").fill("Branch-Desk-2026!")
    form.locator("[name=groups]").fill("tellers")
    form.locator("button[type=submit]").click()
    expect(page.locator("#user-rows tr[data-username='clerk']")).to_contain_text("tellers")
    form.locator("[name=username]").fill("weak")
    form.locator("[name=password]").fill("weak")
    form.locator("button[type=submit]").click()
    expect(page.locator("#user-error")).to_contain_text("12")

    page.click("#tab-keys")
    keys = page.locator("#key-form")
    keys.locator("[name=name]").fill("crm")
    keys.locator("button[type=submit]").click()
    expect(page.locator("#new-key-value")).to_have_text(re.compile(r"^zk_[0-9a-f]{32}_"))
    expect(page.locator("#key-rows tr")).to_have_count(1)
    expect(page.locator("#key-rows")).to_contain_text("*: ask/search")

    page.click("#tab-audit")
    expect(page.locator("#audit-rows")).to_contain_text("auth.sign_in")
    expect(page.locator("#audit-rows")).to_contain_text("api_key.create")
    page.click("#audit-verify")
    expect(page.locator("#audit-status")).to_contain_text("校验通过")
    page.click("#lang-switch")
    expect(page.locator("#tab-audit")).to_have_text("Audit trail")
