"""What the browser is told about every response: a Content-Security-Policy without inline script or style,
no framing, no MIME sniffing; and the UI's pages hold nothing inline that such a policy would block."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.credentials import AuthorizedUrl, admin_headers
from zhiku.ui import STATIC_DIR


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


class _InlineFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script":
            self._in_script = "src" not in names
        if tag == "style":
            self.found.append("<style> element")
        self.found += [f"{tag} {name}=" for name in names if name.startswith("on") or name == "style"]

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:40]}")


@pytest.mark.parametrize("page", sorted(p.name for p in STATIC_DIR.glob("*.html")))
def test_ui_pages_hold_no_inline_script_handler_or_style(page):
    finder = _InlineFinder()
    finder.feed((STATIC_DIR / page).read_text(encoding="utf-8"))
    assert finder.found == []


def test_ui_scripts_write_no_inline_style_or_handler_attributes():
    """Markup built in JavaScript is bound by the same policy: styles go through element.style, handlers through
    addEventListener."""
    offenders = []
    for script in sorted((STATIC_DIR / "js").glob("*.js")):
        for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"""\sstyle=["'$]|\son[a-z]+=["']""", line):
                offenders.append(f"{script.name}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("path", ["/ui/", "/ui/admin.html", "/ui/js/admin.js", "/healthz", "/knowledge-bases",
                                  "/no-such-route"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = _directives(response.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # plain HTTP: HSTS would be ignored anyway


def test_hsts_only_over_https(client):
    response = client.get("/healthz", headers={"x-forwarded-proto": "https"})
    # uvicorn applies X-Forwarded-Proto only from trusted proxies; the test client speaks plain HTTP
    assert "strict-transport-security" not in response.headers
    secure = client.get("https://testserver/healthz")
    assert secure.headers["strict-transport-security"].startswith("max-age=")


def test_api_docs_keep_working_under_their_own_policy(client):
    response = client.get("/docs")
    assert response.status_code == 200
    policy = _directives(response.headers["content-security-policy"])
    assert "https://cdn.jsdelivr.net" in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.fixture
def live_url(tmp_path, bolt_server, shared_embedder, shared_ocr_reader, shared_transcriber):
    from zhiku.api.app import create_app
    from zhiku.core.settings import Settings
    from tests.conftest import graph_settings, make_runtime
    from tests.live_server import live_server

    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'meta.sqlite3'}",
                        _env_file=None, **graph_settings(bolt_server))
    runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    try:
        with live_server(create_app(settings, runtime)) as url:
            yield AuthorizedUrl.of(url, settings)
    finally:
        runtime.close()


def test_the_browser_refuses_script_injected_into_a_ui_page(chromium, live_url):
    """Were an escaping bug to let markup into a page, its inline handler and inline script would not run."""
    context = chromium.new_context(extra_http_headers=live_url.admin)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        page.goto(f"{live_url}/ui/admin.html")
        page.evaluate("""() => {
            const box = document.createElement("div");
            box.innerHTML = '<img src="/nothing.png" onerror="window.pwned = 1">';
            document.body.append(box);
            const script = document.createElement("script");
            script.textContent = "window.pwned = 2";
            document.body.append(script);
        }""")
        page.wait_for_timeout(500)
        assert page.evaluate("window.pwned") is None
        assert violations, "Chromium reported no policy violation: was the policy applied?"
    finally:
        context.close()


# -- originals, hosts, origins (issue #12, item 3) -------------------------------------------------------------------

SCRIPTED_HTML = """<!doctype html><html><head><title>利率通知</title></head><body>
<h1>利率通知</h1><p>经营贷年利率3.85%。</p>
<script>fetch("/knowledge-bases", {method: "POST", headers: {"content-type": "application/json"},
  body: JSON.stringify({name: "pwned"})});</script></body></html>"""


def _kb(client, name="安全") -> str:
    response = client.post("/knowledge-bases", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_an_uploaded_html_original_is_a_sandboxed_download_never_a_page(client):
    from tests.conftest import wait_for_job

    kb_id = _kb(client)
    item = client.post(f"/knowledge-bases/{kb_id}/documents",
                       files=[("files", ("通知.html", SCRIPTED_HTML.encode(), "text/html"))]).json()["items"][0]
    wait_for_job(client, item["job_id"])
    response = client.get(f"/documents/{item['document']['id']}/file")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = _directives(response.headers["content-security-policy"])
    assert "sandbox" in policy and policy["default-src"] == ["'none'"]


def test_requests_to_a_host_name_not_trusted_are_refused(client, settings):
    assert client.get("/knowledge-bases", headers={"host": "attacker.example"}).status_code == 400
    assert client.get("/knowledge-bases", headers={"host": "attacker.example:8000"}).status_code == 400
    assert client.get("/knowledge-bases", headers={"host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/knowledge-bases", headers={"host": "[::1]:8000"}).status_code == 200
    assert client.get("/knowledge-bases", headers={"host": "localhost:abc"}).status_code == 400


def test_the_default_trusted_hosts_are_the_loopback_names(monkeypatch):
    from zhiku.core.settings import Settings

    monkeypatch.delenv("ZHIKU_TRUSTED_HOSTS", raising=False)
    assert Settings(_env_file=None).trusted_hosts == ["localhost", "127.0.0.1", "::1"]


def test_a_page_of_another_origin_cannot_upload_or_delete(client, runtime):
    kb_id = _kb(client)
    files = [("files", ("制度.md", "# 制度\n\n授信审批。".encode(), "text/markdown"))]
    foreign = client.post(f"/knowledge-bases/{kb_id}/documents", files=files,
                          headers={"origin": "https://attacker.example"})
    assert foreign.status_code == 403 and foreign.json()["error"] == "cross_origin_request"
    assert client.get(f"/knowledge-bases/{kb_id}/documents").json() == []  # nothing stored
    referer_only = client.delete(f"/knowledge-bases/{kb_id}", headers={"referer": "http://attacker.example/x"})
    assert referer_only.status_code == 403
    assert client.post(f"/knowledge-bases/{kb_id}/documents", files=files,
                       headers={"origin": "null"}).status_code == 403
    # The service's own pages, and clients that send no Origin (CLI, SDKs), go through.
    same = client.post(f"/knowledge-bases/{kb_id}/documents", files=files, headers={"origin": "http://testserver"})
    assert same.status_code == 202, same.text
    assert client.post("/search", json={"query": "授信"}).status_code == 200
    # Reading is not state-changing: a cross-origin GET is for the browser's same-origin policy to stop.
    assert client.get("/knowledge-bases", headers={"origin": "https://attacker.example"}).status_code == 200


def test_allowed_origins_let_a_named_portal_post(settings, runtime):
    from fastapi.testclient import TestClient

    from zhiku.api.app import create_app

    portal = settings.model_copy(update={"allowed_origins": ["https://portal.bank.example"]})
    with TestClient(create_app(portal, runtime), headers=admin_headers(portal)) as client:
        assert client.post("/knowledge-bases", json={"name": "门户"},
                           headers={"origin": "https://portal.bank.example"}).status_code == 201
        assert client.post("/knowledge-bases", json={"name": "门户2"},
                           headers={"origin": "https://portal.bank.example:8443"}).status_code == 403


def test_behind_a_tls_proxy_the_https_page_of_the_same_host_may_post(client):
    response = client.post("/knowledge-bases", json={"name": "代理"}, headers={"origin": "https://testserver"})
    assert response.status_code == 201, response.text


def test_clicking_an_uploaded_html_in_the_admin_table_runs_none_of_its_script(chromium, live_url):
    import httpx

    from tests.page_wait import wait_for_js

    admin = live_url.admin
    kb_id = httpx.post(f"{live_url}/knowledge-bases", json={"name": "admin-kb"}, headers=admin).json()["id"]
    item = httpx.post(f"{live_url}/knowledge-bases/{kb_id}/documents", headers=admin,
                      files=[("files", ("通知.html", SCRIPTED_HTML.encode(), "text/html"))]).json()["items"][0]
    context = chromium.new_context(accept_downloads=True, extra_http_headers=admin)
    page = context.new_page()
    try:
        page.goto(f"{live_url}/ui/admin.html")
        page.locator(".kb-item, [data-kb]", has_text="admin-kb").first.click()
        link = page.locator(f"a[href='/documents/{item['document']['id']}/file']")
        link.wait_for()
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == "通知.html"
        page.wait_for_timeout(1000)
        names = [kb["name"] for kb in httpx.get(f"{live_url}/knowledge-bases", headers=admin).json()]
        assert "pwned" not in names
        wait_for_js(page, "document.querySelectorAll('a[href$=\"/file\"]').length > 0")
    finally:
        context.close()
