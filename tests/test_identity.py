"""Authentication (issue #11): sign-in, sessions, CSRF, lockout, API keys, anonymous refusals, the audit trail.
All against the real app and metadata store (SQLite, and PostgreSQL when ZHIKU_TEST_POSTGRES_URL is set)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pydantic import SecretStr
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.credentials import admin_headers, create_key
from zhiku.api.app import create_app
from zhiku.core.identity.models import ApiKey, WebSession
from zhiku.core.models import utcnow

STRONG = "Credit-Desk-2026"
ANONYMOUS_ALLOWED = {("GET", "/healthz"), ("GET", "/readyz"), ("POST", "/auth/login"), ("POST", "/auth/logout")}


@pytest.fixture
def api(settings, runtime):
    """An anonymous client (cookies kept) and the admin's headers, on one app."""
    settings = settings.model_copy(update={"login_max_failures": 3})
    runtime.settings = settings
    admin = admin_headers(settings)
    with TestClient(create_app(settings, runtime)) as client:
        client.admin = admin
        client.runtime = runtime
        yield client


def add_user(api, username="teller1", password=STRONG, groups=(), system_admin=False):
    for group in groups:
        if api.get(f"/groups/{group}", headers=api.admin).status_code == 404:
            assert api.post("/groups", json={"name": group}, headers=api.admin).status_code == 201
    reply = api.post("/users", json={"username": username, "password": password, "groups": list(groups),
                                     "system_admin": system_admin}, headers=api.admin)
    assert reply.status_code == 201, reply.text
    return reply.json()


def sign_in(api, username, password=STRONG):
    return api.post("/auth/login", json={"username": username, "password": password})


def test_anonymous_requests_get_401_on_every_route_of_the_openapi_schema(api):
    schema = api.get("/openapi.json", headers=api.admin).json()
    for hidden in ("/openapi.json", "/docs", "/redoc"):  # the schema and its pages need sign-in too
        assert api.get(hidden).status_code == 401, hidden
    checked = 0
    for path, operations in schema["paths"].items():
        for method in operations:
            if (method.upper(), path) in ANONYMOUS_ALLOWED:
                continue
            url = re.sub(r"\{[^}]+\}", "x", path)
            reply = api.request(method.upper(), url, json={} if method in ("post", "put", "patch") else None)
            assert reply.status_code == 401, f"{method.upper()} {path}: {reply.status_code} {reply.text[:200]}"
            assert reply.headers["www-authenticate"].startswith("Bearer")
            checked += 1
    assert checked >= 40
    # what stays open: health, the sign-in route and the static UI shell
    assert api.get("/healthz").status_code == 200
    assert api.get("/ui/").status_code == 200
    assert api.get("/ui/login.html").status_code == 200
    # a wrong or malformed key is refused too, never taken for "no key"
    for header in ("Bearer zk_0_nothing", "Basic YWRtaW46YWRtaW4=", "Bearer "):
        assert api.get("/knowledge-bases", headers={"Authorization": header}).status_code == 401


def test_sign_in_session_csrf_and_sign_out(api):
    add_user(api, "officer1", groups=["credit"])
    assert api.post("/knowledge-bases", json={"name": "policies"}, headers=api.admin).status_code == 201
    wrong = sign_in(api, "officer1", "Wrong-Password-1")
    unknown = sign_in(api, "nobody-here", "Wrong-Password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()  # no user enumeration

    reply = sign_in(api, "officer1")
    assert reply.status_code == 200, reply.text
    me = reply.json()
    assert me["username"] == "officer1" and me["groups"] == ["credit"] and not me["system_admin"]
    cookies = reply.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("zhiku_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("zhiku_csrf="))
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie
    assert "HttpOnly" not in csrf_cookie and "SameSite=strict" in csrf_cookie
    assert "Secure" not in session_cookie  # plain http here; ZHIKU_SESSION_COOKIE_SECURE=auto sets it over https
    csrf = me["csrf_token"]
    assert csrf and csrf in csrf_cookie

    # the session reads; its state-changing requests need the CSRF token in the header
    assert api.get("/knowledge-bases").status_code == 200
    assert api.get("/auth/me").json()["subject"] == me["subject"]
    refused = api.post("/search", json={"query": "loan"})
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert api.post("/search", json={"query": "loan"}, headers={"X-CSRF-Token": "not-the-token"}).status_code == 403
    assert api.post("/search", json={"query": "loan"}, headers={"X-CSRF-Token": csrf}).status_code == 200
    # a non-admin user cannot manage identity or create knowledge bases
    for method, path, body in (("GET", "/users", None), ("GET", "/api-keys", None), ("GET", "/audit", None),
                               ("POST", "/groups", {"name": "x"}), ("POST", "/knowledge-bases", {"name": "kb"})):
        reply = api.request(method, path, json=body, headers={"X-CSRF-Token": csrf})
        assert reply.status_code == 403, (path, reply.text)
    # the Origin check and CSRF agree: the page's own origin with the token passes, another site is refused
    same_origin = {"X-CSRF-Token": csrf, "Origin": "http://testserver"}
    assert api.post("/auth/password", json={"current_password": STRONG, "new_password": "short"},
                    headers=same_origin).status_code == 422
    assert api.post("/auth/password", json={"current_password": STRONG, "new_password": "short"},
                    headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}).status_code == 403

    # sign-out needs the token too, then the cookie signs in no one
    assert api.post("/auth/logout").status_code == 403
    assert api.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert api.get("/auth/me").status_code == 401
    api.cookies.set("zhiku_session", session_cookie.split(";")[0].split("=", 1)[1])  # replaying the old cookie
    assert api.get("/knowledge-bases").status_code == 401


def test_lockout_is_per_user_name_and_says_nothing_about_whether_it_exists(api):
    add_user(api, "teller2")
    for name in ("teller2", "ghost"):
        replies = [sign_in(api, name, "Wrong-Password-9") for _ in range(3)]
        assert all(r.status_code == 401 for r in replies)
        locked = sign_in(api, name, STRONG)
        assert locked.status_code == 401 and "try again" in locked.json()["message"]
    assert sign_in(api, "teller2", STRONG).json()["message"] == sign_in(api, "ghost", STRONG).json()["message"]
    # an administrator setting a new password lifts the lock
    user = api.get("/users/teller2", headers=api.admin).json()
    assert api.post(f"/users/{user['id']}/password", json={"password": "Another-Pass-77"},
                    headers=api.admin).status_code == 204
    assert sign_in(api, "teller2", "Another-Pass-77").status_code == 200


def test_sessions_end_when_idle_too_long_and_when_the_user_is_disabled(api):
    add_user(api, "idle1")
    assert sign_in(api, "idle1").status_code == 200
    assert api.get("/auth/me").status_code == 200
    sessions = api.runtime._sessions
    with sessions() as s:
        for row in s.query(WebSession).all():
            row.last_seen_at = utcnow() - timedelta(minutes=api.runtime.settings.session_idle_minutes + 1)
        s.commit()
    assert api.get("/auth/me").status_code == 401
    assert sign_in(api, "idle1").status_code == 200
    with sessions() as s:  # however busy, a session ends ZHIKU_SESSION_MAX_HOURS after sign-in
        for row in s.query(WebSession).all():
            row.expires_at = utcnow() - timedelta(seconds=1)
        s.commit()
    assert api.get("/auth/me").status_code == 401
    assert sign_in(api, "idle1").status_code == 200
    user = api.get("/users/idle1", headers=api.admin).json()
    assert api.patch(f"/users/{user['id']}", json={"disabled": True}, headers=api.admin).status_code == 200
    assert api.get("/auth/me").status_code == 401
    assert sign_in(api, "idle1").status_code == 401  # a disabled user gets the same reply as a wrong password


def test_password_policy(api):
    for weak in ("short1A!", "alllowercaseletters", "teller3-Password-1"):
        reply = api.post("/users", json={"username": "teller3", "password": weak}, headers=api.admin)
        assert reply.status_code == 422, weak
        assert weak not in reply.text  # the password is never echoed


def test_api_keys_are_shown_once_scoped_expire_and_are_revoked(api):
    kb = api.post("/knowledge-bases", json={"name": "scoped"}, headers=api.admin).json()
    created = api.post("/api-keys", json={"name": "crm", "scopes": {kb["id"]: ["search", "ask"]},
                                          "expires_in_days": 30}, headers=api.admin)
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith("zk_") and created.json()["state"] == "active"
    listed = api.get("/api-keys", headers=api.admin).json()
    assert all("key" not in k for k in listed) and key not in str(listed)  # shown once
    with api.runtime._sessions() as s:
        stored = s.get(ApiKey, created.json()["id"])
        assert key.split("_", 2)[2] not in (stored.secret_hash, str(stored.scopes))

    bearer = {"Authorization": f"Bearer {key}"}
    me = api.get("/auth/me", headers=bearer).json()
    assert me["kind"] == "service" and me["key_scopes"] == {kb["id"]: ["ask", "search"]}
    assert api.get("/knowledge-bases", headers=bearer).status_code == 200
    assert api.get("/users", headers=bearer).status_code == 403  # not an admin key
    assert api.get("/api-keys", headers=api.admin).json()[-1]["last_used_at"] is not None
    # a key needs no CSRF token: it is not sent by browsers on their own
    assert api.post("/search", json={"query": "loan"}, headers=bearer).status_code == 200

    assert api.delete(f"/api-keys/{created.json()['id']}", headers=api.admin).json()["state"] == "revoked"
    assert api.get("/knowledge-bases", headers=bearer).status_code == 401

    expiring = create_key(api.runtime.settings, {"*": ["search"]}, expires_in_days=1)
    assert api.get("/knowledge-bases", headers={"Authorization": f"Bearer {expiring}"}).status_code == 200
    with api.runtime._sessions() as s:
        s.execute(text("UPDATE api_keys SET expires_at = :t WHERE id = :id"),
                  {"t": utcnow() - timedelta(seconds=1), "id": expiring.split("_")[1]})
        s.commit()
    assert api.get("/knowledge-bases", headers={"Authorization": f"Bearer {expiring}"}).status_code == 401
    # a tampered secret with a real key id is refused
    assert api.get("/knowledge-bases", headers={"Authorization": f"Bearer {key[:-4]}AAAA"}).status_code == 401
    bad = api.post("/api-keys", json={"name": "x", "scopes": {"*": ["delete-everything"]}}, headers=api.admin)
    assert bad.status_code == 422


def test_audit_trail_records_masks_and_detects_tampering(api):
    add_user(api, "auditee")
    sign_in(api, "auditee", "Wrong-Password-2")
    sign_in(api, "13812345678", "Wrong-Password-2")  # a phone number typed as a user name
    assert sign_in(api, "auditee").status_code == 200
    api.get("/users", headers={"X-CSRF-Token": "x"})  # a denial (403): recorded too
    api.cookies.clear()
    api.get("/knowledge-bases")  # anonymous: 401, recorded
    records = api.get("/audit", params={"action": "auth."}, headers=api.admin).json()
    outcomes = [(r["target"], r["outcome"]) for r in records]
    assert ("auditee", "ok") in outcomes and ("auditee", "failed") in outcomes
    assert "13812345678" not in str(records) and any(r["target"].startswith("138") and "*" in r["target"]
                                                     for r in records)
    denials = api.get("/audit", params={"action": "access.denied"}, headers=api.admin).json()
    assert {r["details"]["status"] for r in denials} >= {401, 403}
    assert api.get("/audit", params={"action": "user.create"}, headers=api.admin).json()

    exported = api.get("/audit/export", params={"format": "jsonl"}, headers=api.admin)
    assert exported.status_code == 200 and len(exported.text.splitlines()) >= 5
    csv_export = api.get("/audit/export", params={"format": "csv"}, headers=api.admin).text
    assert csv_export.startswith("seq,at,actor")

    assert api.get("/audit/verify", headers=api.admin).json()["ok"] is True
    with api.runtime._sessions() as s:  # someone with database access rewrites a failure as a success
        s.execute(text("UPDATE audit_records SET outcome = 'ok' WHERE outcome = 'failed'"))
        s.commit()
    verdict = api.get("/audit/verify", headers=api.admin).json()
    assert not verdict["ok"] and any("edited" in p for p in verdict["problems"])


def test_audit_verify_detects_a_deleted_record(api):
    trail = api.runtime.identity.audit
    for n in range(4):
        trail.record(None, "test.event", n=n)
    assert trail.verify().ok
    with api.runtime._sessions() as s:
        middle = s.execute(text("SELECT seq FROM audit_records ORDER BY seq")).scalars().all()[2]
        s.execute(text("DELETE FROM audit_records WHERE seq = :seq"), {"seq": middle})
        s.commit()
    verdict = trail.verify()
    assert not verdict.ok and any("missing" in p for p in verdict.problems)


def test_first_start_creates_the_admin_from_the_setting(settings, runtime, capsys):
    configured = settings.model_copy(update={"admin_password": SecretStr("Vault-Keeper-2026!")})
    runtime.settings = configured
    with TestClient(create_app(configured, runtime)) as client:
        signed_in = client.post("/auth/login", json={"username": "admin", "password": "Vault-Keeper-2026!"})
        assert signed_in.status_code == 200
        assert client.get("/users").json()[0]["system_admin"] is True
    assert "Vault-Keeper-2026!" not in capsys.readouterr().err


def test_first_start_prints_a_generated_password_once(settings, runtime, capsys):
    with TestClient(create_app(settings, runtime)) as client:
        printed = capsys.readouterr().err
        password = re.search(r"password\s+(\S+)\s+It is shown", printed).group(1)
        assert client.post("/auth/login", json={"username": "admin", "password": password}).status_code == 200
    with TestClient(create_app(settings, runtime)):
        assert "password" not in capsys.readouterr().err


def test_questions_uploads_and_deletions_are_in_the_audit_trail(client):
    from tests.conftest import wait_for_job

    kb = client.post("/knowledge-bases", json={"name": "audited"}).json()
    upload = client.post(f"/knowledge-bases/{kb['id']}/documents",
                         files=[("files", ("fees.md", "# 信用卡\n\n信用卡年费为每年二百元，客户电话13812345678。\n".encode()))])
    item = upload.json()["items"][0]
    assert wait_for_job(client, item["job_id"])["status"] == "done"
    answer = client.post("/ask", json={"question": "信用卡年费多少？客户电话13812345678", "knowledge_bases": [kb["id"]]})
    cited = [c["chunk_id"] for c in answer.json()["citations"]]
    assert cited
    assert client.delete(f"/documents/{item['document']['id']}").status_code == 204

    def records(action):
        return client.get("/audit", params={"action": action}).json()

    question = records("question")[0]
    assert question["actor"].startswith("key:") and question["kb_id"] == kb["id"]
    assert question["details"]["chunk_ids"] == cited
    assert "13812345678" not in question["details"]["question"] and "年费" in question["details"]["question"]
    uploaded = records("document.upload")[0]
    assert uploaded["kb_id"] == kb["id"] and uploaded["details"]["documents"][0]["name"] == "fees.md"
    assert records("document.delete")[0]["target"] == f"/documents/{item['document']['id']}"
    assert records("kb.create")[0]["kb_id"] == kb["id"]

    # permission changes: a knowledge base's readers/admins and a document's readers, with the new lists
    credit = client.post("/groups", json={"name": "audit-credit"}).json()
    kept = client.post(f"/knowledge-bases/{kb['id']}/documents",
                       files=[("files", ("memo.md", "# 授信备忘\n\n仅限授信组阅读。\n".encode()))]).json()["items"][0]
    access = client.put(f"/knowledge-bases/{kb['id']}/access",
                        json={"readers": ["*"], "admins": [f"group:{credit['id']}"]})
    assert access.status_code == 200, access.text
    narrowed = client.patch(f"/documents/{kept['document']['id']}/readers", json={"readers": ["group:audit-credit"]})
    assert narrowed.status_code == 200, narrowed.text
    kb_change = records("kb.permissions_set")[0]
    assert kb_change["kb_id"] == kb["id"] and kb_change["target"] == f"/knowledge-bases/{kb['id']}/access"
    assert kb_change["details"]["readers"] == ["*"] and kb_change["details"]["admins"] == [f"group:{credit['id']}"]
    document_change = records("document.readers_set")[0]
    assert document_change["kb_id"] == kb["id"]
    assert document_change["target"] == f"/documents/{kept['document']['id']}/readers"
    assert document_change["details"]["readers"] == [f"group:{credit['id']}"]  # the name, stored as the group's id
    assert document_change["actor"].startswith("key:")
    assert client.get("/audit/verify").json()["ok"]


def test_the_demo_people_sign_in_with_the_readme_passwords(settings, runtime, capsys):
    from pathlib import Path

    from zhiku.api.demo_users import DEMO_USERS, ensure_demo_users

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    ensure_demo_users(runtime.identity)
    ensure_demo_users(runtime.identity)  # a restart creates nothing twice
    with TestClient(create_app(settings, runtime)) as client:
        assert "It is shown only this once" not in capsys.readouterr().err  # the demo admin is the first admin
        for username, _, password, admin, groups in DEMO_USERS:
            assert f"| `{username}` | `{password}` |" in readme
            me = client.post("/auth/login", json={"username": username, "password": password}).json()
            assert me["system_admin"] is admin and me["groups"] == groups


def test_session_cookies_are_secure_over_https(settings, runtime):
    admin = admin_headers(settings)
    with TestClient(create_app(settings, runtime), base_url="https://testserver") as client:
        client.post("/users", json={"username": "secure1", "password": STRONG}, headers=admin)
        reply = client.post("/auth/login", json={"username": "secure1", "password": STRONG})
        cookies = reply.headers.get_list("set-cookie")
        assert len(cookies) == 2 and all("Secure" in c and "SameSite=strict" in c for c in cookies)
