"""`zhiku bench search` end to end on a small corpus: build once (then reuse), measure the three systems."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout (CI), or the machine's shared folder (a developer's worktree)
EVAL = next((p for p in (ROOT.parent / "shared" / "eval", Path("/work/shared/eval")) if p.exists()),
            ROOT.parent / "shared" / "eval")


@pytest.mark.skipif(not (EVAL / "rgb_zh").exists(), reason="needs ../shared/eval (rgb_zh, cmrc2018_zh)")
@pytest.mark.timeout(900)
def test_bench_search_builds_once_and_reports_every_system(tmp_path):
    from zhiku.api.cli import app

    args = ["bench", "search", "--sizes", "800", "--data-dir", str(tmp_path), "--eval-dir", str(EVAL),
            "--queries", "8", "--output", str(tmp_path / "report.json")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    row = report[0]
    assert row["build"]["written"] == 800 and row["build"]["indexed"]
    systems = {s["system"].split(" ")[0]: s for s in row["systems"]}
    assert set(systems) == {"engine", "Zhiku", "LlamaIndex"}, row["systems"]
    assert systems["engine"]["hnsw_recall_at_10"] > 0.9 and systems["engine"]["points"] == 801
    assert systems["Zhiku"]["query_embedding_ms"]["count"] == 8
    assert row["build"]["graph"]["entity_mentions"] > 0 and systems["Zhiku"]["with_graph_ms"]["p95"] > 0
    assert all(s["ms"]["p95"] > 0 and s["rss_mb"] > 0 for s in systems.values())
    # a second run reuses the built store
    build_file = tmp_path / "800" / "build.json"
    before = build_file.stat().st_mtime
    assert CliRunner().invoke(app, args).exit_code == 0 and build_file.stat().st_mtime == before
