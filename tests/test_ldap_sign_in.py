"""Directory sign-in against a real OpenLDAP server (slapd) on loopback: bind as the user, groups mapped to
Zhiku groups, directory administrators, wrong passwords and the empty-password (anonymous bind) trap."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.ldap_server import BASE, running_slapd, seed, slapd_available
from zhiku.api.app import create_app

pytestmark = pytest.mark.skipif(not slapd_available(), reason="Debian's slapd is not installed "
                                "(scripts/ensure_system_packages.sh test installs it)")


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    with running_slapd(tmp_path_factory.mktemp("slapd")) as url:
        seed(url, people={"li.credit": ("Li Credit", "Directory-Pass-1"),
                          "wang.teller": ("Wang Teller", "Teller-Pass-22"), "zhao.it": ("Zhao IT", "Ops-Pass-333")},
             groups={"credit-officers": ["li.credit"], "branch-tellers": ["wang.teller", "li.credit"],
                     "zhiku-admins": ["zhao.it"], "unmapped": ["wang.teller"]})
        yield url


@pytest.fixture
def api(settings, runtime, directory):
    settings = settings.model_copy(update={
        "ldap_url": directory, "ldap_user_dn_template": f"uid={{username}},ou=people,{BASE}",
        "ldap_group_base": f"ou=groups,{BASE}", "ldap_admin_group": "zhiku-admins",
        "ldap_group_map": {"credit-officers": "credit", "branch-tellers": "tellers"}})
    runtime.settings = settings
    with TestClient(create_app(settings, runtime)) as client:
        yield client


def test_directory_users_sign_in_with_their_groups_mapped(api):
    signed_in = api.post("/auth/login", json={"username": "li.credit", "password": "Directory-Pass-1"})
    assert signed_in.status_code == 200, signed_in.text
    me = signed_in.json()
    assert me["name"] == "Li Credit" and sorted(me["groups"]) == ["credit", "tellers"] and not me["system_admin"]
    assert api.get("/users").status_code == 403
    api.post("/auth/logout", headers={"X-CSRF-Token": me["csrf_token"]})

    teller = api.post("/auth/login", json={"username": "wang.teller", "password": "Teller-Pass-22"}).json()
    assert teller["groups"] == ["tellers"]  # "unmapped" is not a Zhiku group
    api.post("/auth/logout", headers={"X-CSRF-Token": teller["csrf_token"]})

    admin = api.post("/auth/login", json={"username": "zhao.it", "password": "Ops-Pass-333"})
    assert admin.json()["system_admin"] is True
    users = {u["username"]: u for u in api.get("/users").json()}
    assert users["li.credit"]["source"] == "ldap" and users["li.credit"]["groups"] == ["credit", "tellers"]


def test_wrong_and_empty_passwords_and_injection_are_refused(api):
    wrong = api.post("/auth/login", json={"username": "li.credit", "password": "not-it"})
    empty = api.post("/auth/login", json={"username": "li.credit", "password": ""})  # an anonymous bind "succeeds"
    unknown = api.post("/auth/login", json={"username": "nobody", "password": "Directory-Pass-1"})
    injected = api.post("/auth/login", json={"username": "li.credit,ou=people", "password": "Directory-Pass-1"})
    star = api.post("/auth/login", json={"username": "*", "password": "*"})
    for reply in (wrong, empty, unknown, injected, star):
        assert reply.status_code == 401 and reply.json()["message"] == wrong.json()["message"]
    # the local users' store cannot be reached through the directory and vice versa
    assert api.get("/auth/me").status_code == 401
