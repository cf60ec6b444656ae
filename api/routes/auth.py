"""Sign-in and sign-out for the web UI (session cookies), who am I, and changing one's own password."""
from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request, Response, status

from zhiku.api.auth.cookies import CSRF_HEADER, SESSION_COOKIE, clear_session_cookies, set_session_cookies
from zhiku.api.auth.schemas import CallerOut, PasswordChangeIn, SignInIn
from zhiku.api.deps import current_caller, get_runtime
from zhiku.api.runtime import Runtime
from zhiku.core.access import Caller, CallerKind
from zhiku.core.errors import Forbidden, InvalidInput

router = APIRouter(prefix="/auth", tags=["sign-in"])


def caller_out(caller: Caller, runtime: Runtime, csrf_token: str | None = None) -> CallerOut:
    identity = runtime.identity
    username, groups = None, []
    if caller.kind is CallerKind.USER:
        user = identity.users.find_user(caller.user_id)
        username = user.username if user else None
        groups = [g.name for g in identity.users.groups_of(user.id)] if user else []
    scopes = {kb: sorted(op.value for op in ops) for kb, ops in caller.key_scopes.items()} \
        if caller.key_scopes is not None else None
    return CallerOut(subject=caller.subject, kind=caller.kind.value, name=caller.name, username=username,
                     groups=groups, system_admin=caller.system_admin, key_scopes=scopes, csrf_token=csrf_token)


@router.post("/login", response_model=CallerOut)
def login(body: SignInIn, request: Request, response: Response, runtime: Runtime = Depends(get_runtime)):
    """Sign in with a user name and password; sets the session cookies (HttpOnly session, readable CSRF token).
    Wrong name and wrong password get the same reply; too many failures lock the name for a while."""
    identity = runtime.identity
    user = identity.sign_in(body.username, body.password)
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # a new sign-in never keeps a session id the browser had before (session fixation)
        identity.sessions.end(old)
    session = identity.sessions.create(user.id)
    set_session_cookies(response, request, session.token, session.csrf_token,
                        int(identity.sessions.lifetime.total_seconds()), runtime.settings.session_cookie_secure)
    caller = identity.caller_for_user(user)
    request.state.caller = caller
    return caller_out(caller, runtime, session.csrf_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, runtime: Runtime = Depends(get_runtime)):
    """End this browser's session (with its CSRF token, so another site cannot sign the user out)."""
    identity = runtime.identity
    cookie = request.cookies.get(SESSION_COOKIE)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if cookie:
        session = identity.sessions.resolve(cookie)
        if session is not None:
            if not hmac.compare_digest(request.headers.get(CSRF_HEADER, "").encode(), session.csrf_token.encode()):
                raise Forbidden("Refused: this request lacks the page's CSRF token (X-CSRF-Token). Reload the page.")
            user = identity.users.find_user(session.user_id)
            identity.sessions.end(cookie)
            if user is not None:
                identity.audit.record(identity.caller_for_user(user), "auth.sign_out", target=user.username)
    clear_session_cookies(response, request, runtime.settings.session_cookie_secure)
    return response


@router.get("/me", response_model=CallerOut)
def me(request: Request, caller: Caller = Depends(current_caller), runtime: Runtime = Depends(get_runtime)):
    """Who this request is signed in as (and, for a browser session, its CSRF token)."""
    return caller_out(caller, runtime, getattr(request.state, "session_csrf", None))


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChangeIn, caller: Caller = Depends(current_caller),
                    runtime: Runtime = Depends(get_runtime)):
    """Change one's own password (local users). Every session of the user ends: sign in again."""
    identity = runtime.identity
    if caller.kind is not CallerKind.USER:
        raise InvalidInput("Only a signed-in user has a password to change.")
    user = identity.users.get_user(caller.user_id)
    from zhiku.core.identity.passwords import verify_password

    if not verify_password(user.password_hash, body.current_password):
        identity.audit.record(caller, "auth.password_change", target=user.username, outcome="failed")
        raise InvalidInput("The current password is wrong.")
    identity.users.set_password(user.id, body.new_password)
    identity.sessions.end_all_of(user.id)
    identity.audit.record(caller, "auth.password_change", target=user.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
