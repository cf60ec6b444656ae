"""The `zhiku` command as a user runs it: ingest files, then search and ask."""
import json

from typer.testing import CliRunner

from zhiku.api.cli import app
from zhiku.core.settings import get_settings
from tests.documents import loan_policy_docx


def test_ingest_search_and_ask(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHIKU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "policy.docx").write_bytes(loan_policy_docx())
    (docs / "faq.md").write_text("# 信用卡\n\n## 挂失\n\n信用卡挂失后原卡立即停止使用，补卡需要五个工作日。\n", encoding="utf-8")
    (docs / "tool.exe").write_bytes(b"MZ")
    runner = CliRunner()
    try:
        result = runner.invoke(app, ["ingest", str(docs), "--kb", "policies"])
        assert result.exit_code == 0, result.output
        assert "tool.exe: rejected" in result.output
        again = runner.invoke(app, ["ingest", str(docs / "faq.md"), "--kb", "policies"])
        assert "unchanged" in again.output

        found = runner.invoke(app, ["search", "补卡需要几天", "--kb", "policies", "--top-k", "2"])
        assert found.exit_code == 0 and "faq.md · 信用卡 > 挂失" in found.output
        answer = runner.invoke(app, ["ask", "个人住房贷款期限最长多少年"])
        assert answer.exit_code == 0 and "三十年" in answer.output and "[1] policy.docx" in answer.output
        missing = runner.invoke(app, ["search", "x", "--kb", "nope"])
        assert missing.exit_code == 2 and "not found" in missing.output
    finally:
        get_settings.cache_clear()


def test_reindex_into_a_new_collection(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHIKU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    (tmp_path / "faq.md").write_text("# 挂失\n\n信用卡挂失后原卡立即停止使用。\n", encoding="utf-8")
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["ingest", str(tmp_path / "faq.md"), "--kb", "kb"]).exit_code == 0
        monkeypatch.setenv("ZHIKU_QDRANT_COLLECTION", "rebuilt")
        get_settings.cache_clear()
        empty = runner.invoke(app, ["search", "信用卡挂失", "--kb", "kb"])
        assert empty.exit_code == 0 and "faq.md" not in empty.output
        result = runner.invoke(app, ["reindex", "--kb", "kb"])
        assert result.exit_code == 0, result.output
        assert "faq.md" in runner.invoke(app, ["search", "信用卡挂失", "--kb", "kb"]).output
    finally:
        get_settings.cache_clear()


def test_every_command_group_registers_and_loading_the_cli_loads_no_stage():
    """A new group is a new module in zhiku.api.cli.commands; `zhiku --help` must not load models or stores."""
    import subprocess
    import sys

    code = ("import sys; from typer.main import get_command; import zhiku.api.cli as cli; "
            "names = sorted(get_command(cli.app).commands); "
            "stages = sorted({m.split('.')[1] for m in sys.modules if m.startswith('zhiku.') and m.count('.') > 1} - {'api', 'core'}); "
            "import json; print(json.dumps([names, stages]))")
    names, stages = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                              check=True).stdout)
    assert {"ask", "eval", "ingest", "llm", "models", "reindex", "search", "serve"} <= set(names)
    assert stages == []
