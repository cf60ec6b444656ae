"""What the browser is told about every response: a Content-Security-Policy without inline script or style,
no framing, no MIME sniffing; and the UI's pages hold nothing inline that such a policy would block."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

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


@pytest.mark.parametrize("path", ["/ui/", "/ui/admin.html", "/ui/js/admin.js", "/health", "/knowledge-bases",
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
    response = client.get("/health", headers={"x-forwarded-proto": "https"})
    # uvicorn applies X-Forwarded-Proto only from trusted proxies; the test client speaks plain HTTP
    assert "strict-transport-security" not in response.headers
    secure = client.get("https://testserver/health")
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
            yield url
    finally:
        runtime.close()


def test_the_browser_refuses_script_injected_into_a_ui_page(chromium, live_url):
    """Were an escaping bug to let markup into a page, its inline handler and inline script would not run."""
    context = chromium.new_context()
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
