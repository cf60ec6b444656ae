"""The `zhiku` command beside a running `zhiku serve`: the server owns the data folder, so search, ask, ingest
and reindex go to it over HTTP (found through <data_dir>/api-server.json, or --server URL) with the output they
have in process; conditions a user can cause end in one line and a non-zero exit, never a traceback."""
from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhiku.api.cli import app
from zhiku.api.cli.server_file import running_server, server_file
from zhiku.core.settings import get_settings

FAQ = "# 信用卡\n\n## 挂失\n\n信用卡挂失后原卡立即停止使用，补卡需要五个工作日。\n"


@pytest.fixture()
def data_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("ZHIKU_DATA_DIR", str(folder))
    monkeypatch.delenv("ZHIKU_SERVER", raising=False)
    monkeypatch.delenv("ZHIKU_API_KEY", raising=False)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


@pytest.fixture()
def serve(data_dir, monkeypatch):
    """`zhiku serve --port 0` in a process of its own, as a user starts it in another terminal; the commands send
    an administrator's API key (ZHIKU_API_KEY), as the README has a user create one."""
    log = (data_dir.parent / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "zhiku.api.cli", "serve", "--host", "127.0.0.1",
                                "--port", "0"], env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while running_server(data_dir) is None:
        assert process.poll() is None, (data_dir.parent / "serve.log").read_text()
        assert time.monotonic() < deadline, "zhiku serve did not write its server file"
        time.sleep(0.2)
    from tests.credentials import admin_key
    from zhiku.core.settings import Settings

    monkeypatch.setenv("ZHIKU_API_KEY", admin_key(Settings(data_dir=data_dir, _env_file=None)))
    try:
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
        log.close()


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_search_ask_ingest_and_reindex_go_to_the_running_server(tmp_path, data_dir, serve):
    found = running_server(data_dir)
    assert found.pid == serve.pid and found.url.startswith("http://127.0.0.1:")
    (tmp_path / "faq.md").write_text(FAQ, encoding="utf-8")
    (tmp_path / "tool.exe").write_bytes(b"MZ")
    runner = CliRunner()

    ingested = runner.invoke(app, ["ingest", str(tmp_path / "faq.md"), str(tmp_path / "tool.exe"), "--kb", "policies"])
    assert ingested.exit_code == 0, ingested.output
    assert "tool.exe: rejected" in ingested.output and "1 files ingested" in ingested.output
    assert "unchanged" in runner.invoke(app, ["ingest", str(tmp_path / "faq.md"), "--kb", "policies"]).output

    hits = runner.invoke(app, ["search", "补卡需要几天", "--kb", "policies", "--top-k", "2"])
    assert hits.exit_code == 0 and "faq.md · 信用卡 > 挂失" in hits.output and "补卡需要五个工作日" in hits.output
    as_json = runner.invoke(app, ["search", "补卡需要几天", "--kb", "policies", "--json"])
    assert json.loads(as_json.output)[0]["citation"]["document_name"] == "faq.md"
    answer = runner.invoke(app, ["ask", "补卡需要几天", "--mode", "extractive"])
    assert answer.exit_code == 0 and "五个工作日" in answer.output and "[1] faq.md" in answer.output

    reindexed = runner.invoke(app, ["reindex", "--kb", "policies"])
    assert reindexed.exit_code == 0 and "faq.md" in reindexed.output

    # a refusal of the server is one line, as in process
    assert "not found" in _one_line_error(runner.invoke(app, ["search", "x", "--kb", "nope"]))

    # `zhiku doctor` runs through the server that holds the stores: an original left by an interrupted upload
    # (an hour old: past the live check's grace for uploads in flight) is found, then removed on --repair
    orphan = data_dir / "files" / "ab" / ("ab" + "0" * 62)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left by an interrupted upload")
    os.utime(orphan, (time.time() - 3600, time.time() - 3600))
    found = runner.invoke(app, ["doctor"])
    assert found.exit_code == 1 and "orphan_originals: 1" in found.output and "[needs --repair]" in found.output, \
        found.output
    repaired = runner.invoke(app, ["doctor", "--repair"])
    assert repaired.exit_code == 0 and "orphan_originals: 1" in repaired.output and "[repaired]" in repaired.output
    assert not orphan.exists()
    clean = runner.invoke(app, ["doctor"])
    assert clean.exit_code == 0 and "all consistent" in clean.output, clean.output
    # without a key it says what to pass, in one line (not the store's lock error, not a traceback)
    without_key = runner.invoke(app, ["doctor"], env={"ZHIKU_API_KEY": ""})
    assert "--api-key" in _one_line_error(without_key) and "stop the server" in without_key.output
    # the server file goes when the server exits
    serve.send_signal(signal.SIGINT)
    serve.wait(60)
    assert not server_file(data_dir).exists()


def test_a_stale_server_file_is_ignored(tmp_path, data_dir):
    data_dir.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    server_file(data_dir).write_text(json.dumps({"pid": dead.pid, "port": 9, "url": "http://127.0.0.1:9"}))
    assert running_server(data_dir) is None
    (tmp_path / "faq.md").write_text(FAQ, encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "faq.md"), "--kb", "kb"])
    assert result.exit_code == 0, result.output  # ran in process


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    """A server that refuses everyone, remembering the Authorization header it was sent."""

    seen: list[str | None] = []

    def do_POST(self):  # noqa: N802 - the stdlib's name
        self.seen.append(self.headers.get("Authorization"))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"error": "unauthorized", "message": "a valid API key is required"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_api_key_goes_as_a_bearer_header_and_refusals_and_unreachable_servers_are_one_line(data_dir, monkeypatch):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    runner = CliRunner()
    try:
        line = _one_line_error(runner.invoke(app, ["search", "x", "--server", url, "--api-key", "k-123"]))
        assert "a valid API key is required" in line and "--api-key" in line
        monkeypatch.setenv("ZHIKU_API_KEY", "k-env")
        _one_line_error(runner.invoke(app, ["ask", "x", "--server", url]))
        assert _RecordingHandler.seen == ["Bearer k-123", "Bearer k-env"]
    finally:
        httpd.shutdown()
        httpd.server_close()
    line = _one_line_error(runner.invoke(app, ["search", "x", "--server", url]))
    assert "cannot reach the Zhiku server" in line and "zhiku serve" in line


def test_user_mistakes_are_one_line_without_a_server(tmp_path, data_dir):
    runner = CliRunner()
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nowhere.md"), "--kb", "kb"])
    assert missing.exit_code == 2 and "Traceback" not in missing.output and "does not exist" in missing.output
    (tmp_path / "clip.wav").write_bytes(b"RIFF")
    assert "language" in _one_line_error(runner.invoke(app, ["ingest", str(tmp_path / "clip.wav"), "--kb", "kb",
                                                             "--language", "klingon"]))


def test_admin_commands_go_to_the_running_server_with_the_same_output(data_dir, serve):
    """users, keys and audit beside the server with an administrator's key (ZHIKU_API_KEY): the server makes each
    change and records it under that key; the output is the in-process one. Without a key they work on the shared
    metadata database (how the first key is made beside a running server)."""
    runner = CliRunner()
    password = "Counter-Desk-2026!\n"
    added = runner.invoke(app, ["users", "add", "bob", "--display-name", "Bob", "--group", "tellers",
                                "--password-stdin"], input=password)
    assert added.exit_code == 0 and added.output.startswith("added bob ("), added.output
    listed = runner.invoke(app, ["users", "list"])
    bob = next(line for line in listed.output.splitlines() if line.startswith("bob\t"))
    assert bob.split("\t")[1:6] == ["Bob", "employee", "active", "local", "groups=tellers"], bob
    assert runner.invoke(app, ["users", "groups", "bob", "--set", "credit", "--set", "tellers"]).output.split() == \
        ["credit", "tellers"]
    assert runner.invoke(app, ["users", "groups", "bob"]).output.split() == ["credit", "tellers"]
    assert runner.invoke(app, ["users", "passwd", "bob", "--password-stdin"],
                         input="Counter-Desk-2027!\n").output.strip() == "password of bob set"
    assert runner.invoke(app, ["users", "disable", "bob"]).output.strip() == "bob disabled"
    assert "\tdisabled\t" in next(line for line in runner.invoke(app, ["users", "list"]).output.splitlines()
                                   if line.startswith("bob\t"))
    assert runner.invoke(app, ["users", "enable", "bob"]).output.strip() == "bob enabled"

    created = runner.invoke(app, ["keys", "create", "crm", "--scope", "*:search", "--days", "7"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    key_id = created.stderr.split()[2].rstrip(",")
    line = next(line for line in runner.invoke(app, ["keys", "list"]).output.splitlines() if line.startswith(key_id))
    assert line.split("\t")[1:4] == ["crm", "active", "*:search"], line
    # the new key is the server's: it signs in (no knowledge base to search yet) and is refused the administration
    searched = runner.invoke(app, ["search", "x", "--api-key", secret])
    assert "no knowledge base you may read" in _one_line_error(searched)
    assert "system administrator" in _one_line_error(runner.invoke(app, ["users", "list", "--api-key", secret]))
    bad_scope = runner.invoke(app, ["keys", "create", "x", "--scope", "nonsense"])
    assert _one_line_error(bad_scope).startswith("error: scope")
    assert runner.invoke(app, ["keys", "revoke", key_id]).output.strip() == f"revoked {key_id} (crm)"
    assert "\trevoked\t" in next(line for line in runner.invoke(app, ["keys", "list"]).output.splitlines()
                                  if line.startswith(key_id))

    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.rstrip().endswith(": intact"), verified.output
    exported = runner.invoke(app, ["audit", "export", "--action", "user."])
    records = [r for r in map(json.loads, exported.stdout.splitlines()) if r["target"] == "bob"]
    assert [r["action"] for r in records] == ["user.create", "user.groups_set", "user.password_set", "user.update",
                                             "user.update"], records
    assert all(r["actor"].startswith("key:") for r in records)  # made by the server, under the admin key
    assert runner.invoke(app, ["audit", "export", "--format", "csv", "--action", "api_key."]).stdout.startswith("seq,")

    # without a key: the identity commands work on the shared database, as the machine's operator
    local = runner.invoke(app, ["keys", "create", "first", "--admin", "--days", "1"], env={"ZHIKU_API_KEY": ""})
    assert local.exit_code == 0 and len(local.stdout.strip()) > 20, local.output
    records = [json.loads(line) for line in runner.invoke(app, ["audit", "export", "--action", "api_key.create"])
               .stdout.splitlines()]
    assert records[-1]["actor"] == "system" and records[-1]["actor_name"].startswith("cli:")
