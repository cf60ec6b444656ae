"""`zhiku bench ingest`: every path run is divided by the embedding-only runs just before and after it."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner


def _corpus(path):
    passages = ["招商银行个人住房贷款首付比例不低于百分之三十，贷款期限最长三十年。",
                "The branch opens at nine in the morning and closes at five in the afternoon.",
                "保管箱小号年租金三百元，另收押金一千元，退租时退还押金。",
                "信用卡挂失请拨打客服热线，挂失前发生的损失由持卡人承担。"]
    path.write_text("".join(json.dumps({"_id": str(i), "title": "", "text": t}, ensure_ascii=False) + "\n"
                            for i, t in enumerate(passages)), encoding="utf-8")
    return path


@pytest.mark.timeout(600)
def test_each_round_is_bracketed_by_embedding_only_runs(tmp_path, monkeypatch):
    from zhiku.api.cli import app

    monkeypatch.setenv("ZHIKU_GRAPH_ENABLED", "false")  # the graph server's start is not what this checks
    output = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["bench", "ingest", "--corpus", str(_corpus(tmp_path / "corpus.jsonl")),
                                      "--documents", "4", "--paths", "api", "--repeats", "2",
                                      "--output", str(output)])
    assert result.exit_code == 0, result.output
    rows = json.loads(output.read_text())
    assert [r["path"].split(" ")[0] for r in rows] == ["embedding", "API", "embedding", "API", "embedding", "summary"]
    floors = [r["seconds"] for r in rows if r["path"] == "embedding only"]
    for index, api in enumerate(r for r in rows if r["path"].startswith("API")):
        assert api["round"] == index and api["chunks"] == 4
        reference = (floors[index] + floors[index + 1]) / 2
        assert api["embedding_only_seconds"] == round(reference, 2)
        assert api["ratio_to_embedding"] == round(api["seconds"] / reference, 2)
    summary = rows[-1][rows[1]["path"]]
    assert summary["rounds"] == 2 and summary["wall_ratio"][1] <= summary["wall_ratio"][0] <= summary["wall_ratio"][2]
