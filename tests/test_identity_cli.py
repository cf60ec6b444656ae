"""`zhiku users`, `zhiku keys` and `zhiku audit` as an operator runs them on the server."""
from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from zhiku.api.cli import app
from zhiku.core.settings import get_settings


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHIKU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_users_keys_and_a_tampered_audit_trail(data_dir):
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "officer", "--group", "credit", "--password-stdin"],
                          input="Loan-Review-2026\n")
    assert added.exit_code == 0, added.output
    weak = runner.invoke(app, ["users", "add", "weakling", "--password-stdin"], input="password\n")
    assert weak.exit_code == 2 and "at least 12 characters" in weak.output
    listed = runner.invoke(app, ["users", "list"]).output
    assert "officer" in listed and "groups=credit" in listed and "weakling" not in listed
    assert runner.invoke(app, ["users", "groups", "officer", "--set", "credit", "--set", "risk"]).output.split() == \
        ["credit", "risk"]
    assert runner.invoke(app, ["users", "disable", "officer"]).exit_code == 0
    assert "disabled" in runner.invoke(app, ["users", "list"]).output
    reset = runner.invoke(app, ["users", "passwd", "officer", "--password-stdin"], input="Risk-Review-2027\n")
    assert reset.exit_code == 0

    created = runner.invoke(app, ["keys", "create", "crm", "--scope", "*:search", "--days", "30"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("zk_")
    keys = runner.invoke(app, ["keys", "list"]).output
    assert "crm\tactive\t*:search" in keys and key not in keys
    assert runner.invoke(app, ["keys", "create", "bad", "--scope", "*:everything"]).exit_code == 2
    key_id = key.split("_")[1]
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    assert "crm\trevoked" in runner.invoke(app, ["keys", "list"]).output

    intact = runner.invoke(app, ["audit", "verify"])
    assert intact.exit_code == 0 and "intact" in intact.output
    exported = [json.loads(line) for line in runner.invoke(app, ["audit", "export"]).stdout.splitlines()]
    assert [r["action"] for r in exported][:2] == ["user.create", "user.groups_set"]
    assert all(r["actor"] == "system" and r["actor_name"].startswith("cli:") for r in exported)
    csv_out = data_dir.parent / "audit.csv"
    exported_csv = runner.invoke(app, ["audit", "export", "--format", "csv", "-o", str(csv_out), "--action", "api_key."])
    assert exported_csv.exit_code == 0
    assert csv_out.read_text().count("api_key.") == 2

    with sqlite3.connect(data_dir / "zhiku.sqlite3") as db:  # someone hides that the key existed
        db.execute("DELETE FROM audit_records WHERE action = 'api_key.create'")
    tampered = runner.invoke(app, ["audit", "verify"])
    assert tampered.exit_code == 1 and "TAMPERED" in tampered.output and "missing" in tampered.output
