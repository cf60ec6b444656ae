"""Which caller a request's credential stands for: `Authorization: Bearer <API key>` first (an invalid one is
refused, never passed over for the cookie), else the session cookie, whose state-changing requests must carry
the session's CSRF token. No credential: Unauthenticated (401)."""
from __future__ import annotations

import hmac

from fastapi import Request

from zhiku.api.auth.cookies import CSRF_HEADER, SESSION_COOKIE
from zhiku.core.access import Caller
from zhiku.core.errors import Forbidden, Unauthenticated
from zhiku.core.identity.identity import Identity

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <API key>'.")
    return token.strip()


def resolve_caller(request: Request, identity: Identity) -> Caller:
    token = bearer_token(request)
    if token is not None:
        key = identity.keys.resolve(token)
        if key is None:
            raise Unauthenticated("This API key is unknown, revoked or expired.")
        return identity.caller_for_key(key)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        session = identity.sessions.resolve(cookie)
        if session is None:
            raise Unauthenticated("Your session has ended; sign in again.")
        if request.method not in _SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
                raise Forbidden("Refused: this request lacks the page's CSRF token (X-CSRF-Token). Reload the page.")
        user = identity.users.find_user(session.user_id)
        if user is None or user.disabled:
            identity.sessions.end(cookie)
            raise Unauthenticated("Your session has ended; sign in again.")
        request.state.session_csrf = session.csrf_token
        return identity.caller_for_user(user)
    raise Unauthenticated()
