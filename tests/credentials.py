"""Real credentials for tests: every route but health and sign-in needs one (issue #11).

`admin_headers(settings)` creates a system-administrator API key in the metadata store the settings name (the
schema is migrated first, so it works before the app starts) and returns the Authorization header that sends it.
Tests that build their own app pass it to TestClient(..., headers=...), httpx or the OpenAI SDK; browser tests
sign in with a real session (`authorize_browser`)."""
from __future__ import annotations

from zhiku.core.db import make_engine, migrate, session_factory
from zhiku.core.identity.api_keys import ApiKeyStore


def create_key(settings, scopes=None, system_admin: bool = False, name: str = "tests",
               expires_in_days: int = 0) -> str:
    engine = make_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        created = ApiKeyStore(session_factory(engine)).create(name, scopes, "tests", expires_in_days=expires_in_days,
                                                              system_admin=system_admin)
        return created.secret
    finally:
        engine.dispose()


def admin_key(settings) -> str:
    return create_key(settings, system_admin=True, name="tests (system admin)")


def admin_headers(settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_key(settings)}"}


BROWSER_ADMIN = ("ui-admin", "Browser-Tests-2026!")  # a system administrator the browser tests sign in as


def create_browser_admin(settings) -> None:
    from zhiku.core.errors import Conflict
    from zhiku.core.identity.user_store import UserStore

    engine = make_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        try:
            UserStore(session_factory(engine)).create_user(*BROWSER_ADMIN, "UI tests", system_admin=True)
        except Conflict:
            pass
    finally:
        engine.dispose()


def authorize_browser(page, url: "AuthorizedUrl") -> None:
    """Sign the page's browser context in as a system administrator with a real session: the sign-in route sets
    the cookies (HttpOnly session, readable CSRF token), which go into the context, so every request the pages
    make — fetch, XHR, downloads, images — carries them as a signed-in user's would. For browser tests of pages
    that are not about signing in (tests/test_ui_identity.py signs in through the sign-in page itself)."""
    import httpx

    username, password = BROWSER_ADMIN
    reply = httpx.post(f"{url}/auth/login", json={"username": username, "password": password}, timeout=30)
    reply.raise_for_status()
    page.context.add_cookies([{"name": cookie.name, "value": cookie.value, "url": str(url), "sameSite": "Strict",
                               "httpOnly": cookie.name == "zhiku_session"} for cookie in reply.cookies.jar])


class AuthorizedUrl(str):
    """A live server's base URL that also carries the admin's Authorization header (`.admin`); the server also
    has the browser tests' administrator (`authorize_browser`)."""

    admin: dict[str, str]

    @classmethod
    def of(cls, url: str, settings) -> "AuthorizedUrl":
        made = cls(url)
        made.admin = admin_headers(settings)
        create_browser_admin(settings)
        return made
