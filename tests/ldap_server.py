"""A real OpenLDAP server (Debian's slapd) on a loopback port, in a temporary folder, for directory sign-in tests.
scripts/ensure_system_packages.sh installs slapd for the tests."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
BASE = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{BASE}"
ROOT_PASSWORD = "directory-root-secret"

CONFIG = """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {folder}/slapd.pid
database mdb
maxsize 16777216
suffix "{base}"
rootdn "{root}"
rootpw {password}
directory {folder}/db
access to attrs=userPassword by self auth by anonymous auth by * none
access to * by users read by * none
"""


def slapd_available() -> bool:
    return Path(SLAPD).exists() and Path("/etc/ldap/schema/core.schema").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_slapd(folder: Path):
    """Yields the server's ldap:// URL once it answers; stops it afterwards."""
    (folder / "db").mkdir(parents=True)
    config = folder / "slapd.conf"
    config.write_text(CONFIG.format(folder=folder, base=BASE, root=ROOT_DN, password=ROOT_PASSWORD))
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = (folder / "slapd.log").open("wb")
    process = subprocess.Popen([SLAPD, "-f", str(config), "-h", f"{url}/", "-d", "0"], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"slapd exited: {(folder / 'slapd.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("slapd did not start listening in 30 s") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def seed(url: str, people: dict[str, tuple[str, str]], groups: dict[str, list[str]]) -> None:
    """people: uid -> (display name, password); groups: cn -> member uids."""
    from ldap3 import Connection, Server

    with Connection(Server(url), ROOT_DN, ROOT_PASSWORD, auto_bind=True) as c:
        c.add(BASE, ["dcObject", "organization"], {"o": "Example Bank", "dc": "example"})
        c.add(f"ou=people,{BASE}", ["organizationalUnit"], {"ou": "people"})
        c.add(f"ou=groups,{BASE}", ["organizationalUnit"], {"ou": "groups"})
        for uid, (name, password) in people.items():
            ok = c.add(f"uid={uid},ou=people,{BASE}", ["inetOrgPerson"],
                       {"uid": uid, "cn": name, "sn": name.split()[-1], "displayName": name, "userPassword": password})
            assert ok, c.result
        for cn, members in groups.items():
            ok = c.add(f"cn={cn},ou=groups,{BASE}", ["groupOfNames"],
                       {"cn": cn, "member": [f"uid={m},ou=people,{BASE}" for m in members]})
            assert ok, c.result
