"""The two cookies of a web session: the session token (HttpOnly: no script can read it) and the CSRF token
(readable by Zhiku's own pages, which echo it in the X-CSRF-Token header of every state-changing request: a page
of another site can make the browser send the cookies but cannot read the token to put it in the header)."""
from __future__ import annotations

from fastapi import Request, Response

SESSION_COOKIE = "zhiku_session"
CSRF_COOKIE = "zhiku_csrf"
CSRF_HEADER = "x-csrf-token"


def secure_cookies(request: Request, mode: str) -> bool:
    if mode == "always":
        return True
    if mode == "never":
        return False
    return request.url.scheme == "https"


def set_session_cookies(response: Response, request: Request, token: str, csrf_token: str, max_age: int,
                        mode: str) -> None:
    secure = secure_cookies(request, mode)
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=secure)
    response.set_cookie(CSRF_COOKIE, csrf_token, max_age=max_age, path="/", httponly=False, samesite="strict",
                        secure=secure)


def clear_session_cookies(response: Response, request: Request, mode: str) -> None:
    secure = secure_cookies(request, mode)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="strict", secure=secure, httponly=name == SESSION_COOKIE)
