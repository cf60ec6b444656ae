"""Real credentials for tests: every route but health and sign-in needs one (issue #11).

`admin_headers(settings)` creates a system-administrator API key in the metadata store the settings name (the
schema is migrated first, so it works before the app starts) and returns the Authorization header that sends it.
Tests that build their own app pass it to TestClient(..., headers=...), httpx, the OpenAI SDK or the browser
(`authorize_browser`)."""
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


def authorize_browser(page, url: "AuthorizedUrl") -> None:
    """Every request the page makes (documents, fetch, XHR) carries the admin key: for browser tests of pages
    that are not about signing in (tests/test_ui_identity.py signs in through the sign-in page)."""
    page.context.set_extra_http_headers(url.admin)


class AuthorizedUrl(str):
    """A live server's base URL that also carries the admin's Authorization header (`.admin`)."""

    admin: dict[str, str]

    @classmethod
    def of(cls, url: str, settings) -> "AuthorizedUrl":
        made = cls(url)
        made.admin = admin_headers(settings)
        return made
