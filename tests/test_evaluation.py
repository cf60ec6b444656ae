"""Metrics, the BEIR loader and `zhiku eval retrieval` on a tiny set made here."""
import json

import pytest

from zhiku.evaluation.beir_dataset import BeirDataset
from zhiku.evaluation.metrics import mrr_at, ndcg_at, recall_at, summarise


def test_metrics_on_hand_computed_rankings():
    ranked = ["d3", "d1", "d7", "d2"]
    relevant = {"d1", "d2"}
    assert recall_at(ranked, relevant, 1) == 0.0
    assert recall_at(ranked, relevant, 5) == 1.0
    assert mrr_at(ranked, relevant) == 0.5
    # DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3)
    assert ndcg_at(ranked, relevant) == pytest.approx((0.63093 + 0.43068) / 1.63093, abs=1e-4)
    assert summarise({"q": ranked}, {"q": relevant})["mrr@10"] == 0.5


def _write_set(folder, grouped=False):
    (folder / "dev").mkdir(parents=True)
    passages = [
        {"_id": "p1", "title": "住房贷款", "text": "个人住房贷款期限最长三十年，借款人年龄与期限之和不超过七十岁。"},
        {"_id": "p2", "title": "信用卡", "text": "信用卡挂失后，原卡片立即停止使用，补卡需五个工作日。"},
        {"_id": "p3", "title": "理财", "text": "稳盈理财产品的风险等级为R2，适合稳健型投资者。"},
        {"_id": "p4", "title": "Security", "text": "Passwords must be rotated every ninety days and never shared."},
    ]
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as handle:
        for p in passages:
            handle.write(json.dumps(p, ensure_ascii=False) + "\n")
    queries = [("q1", "房贷最长可以贷多少年", "p1"), ("q2", "信用卡丢了怎么办", "p2"),
               ("q3", "稳盈理财风险等级", "p3"), ("q4", "how often to change passwords", "p4")]
    with open(folder / "dev" / "queries.jsonl", "w", encoding="utf-8") as handle:
        for qid, text, _ in queries:
            handle.write(json.dumps({"_id": qid, "text": text}, ensure_ascii=False) + "\n")
    with open(folder / "dev" / "qrels.tsv", "w") as handle:
        handle.write("query-id\tcorpus-id\tscore\n")
        for qid, _, pid in queries:
            handle.write(f"{qid}\t{pid}\t1\n")


def test_beir_loader(tmp_path):
    _write_set(tmp_path / "tiny")
    data = BeirDataset.load(tmp_path / "tiny")
    assert len(data.passages) == 4 and [q.query_id for q in data.queries] == ["q1", "q2", "q3", "q4"]
    assert data.qrels["q3"] == {"p3"}
    with pytest.raises(FileNotFoundError, match="BEIR"):
        BeirDataset.load(tmp_path)


def test_eval_retrieval_command_reports_every_variant(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from zhiku.api.cli import app
    from zhiku.core.settings import get_settings

    _write_set(tmp_path / "tiny")
    monkeypatch.setenv("ZHIKU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["eval", "retrieval", "--dataset", str(tmp_path / "tiny"),
                                          "--output", str(tmp_path / "report.json")])
        assert result.exit_code == 0, result.output
        report = json.loads((tmp_path / "report.json").read_text())
        assert set(report["variants"]) == {"sparse only", "dense only", "hybrid (weighted-score, w_dense=0.6)",
                                           "hybrid + feature second stage", "hybrid + learned second stage",
                                           "hybrid + gated second stage", "hybrid + evidence second stage",
                                           "hybrid + guarded second stage"}
        assert report["settings"]["reranker"] == "guarded"
        assert report["variants"]["hybrid + feature second stage"]["recall@5"] == 1.0
        assert report["variants"]["dense only"]["mrr@10"] == 1.0
        again = CliRunner().invoke(app, ["eval", "retrieval", "--dataset", str(tmp_path / "tiny")])
        assert "reused from" in again.output
    finally:
        get_settings.cache_clear()


def test_all_evidence_needs_one_passage_of_every_group():
    from zhiku.evaluation.metrics import all_evidence_at, summarise

    ranked = ["a", "x", "c", "y"]
    assert all_evidence_at(ranked, [{"a", "b"}, {"c"}], k=10) == 1.0
    assert all_evidence_at(ranked, [{"a"}, {"d"}], k=10) == 0.0
    assert all_evidence_at(ranked, [{"a"}, {"c"}], k=2) == 0.0  # "c" is third
    assert all_evidence_at(ranked, [], k=10) == 0.0
    # Without groups every relevant passage is needed; with groups one of each group is enough.
    runs, qrels = {"q": ranked}, {"q": {"a", "b", "c"}}
    assert summarise(runs, qrels)["all-evidence@10"] == 0.0
    assert summarise(runs, qrels, {"q": [{"a", "b"}, {"c"}]})["all-evidence@10"] == 1.0


def test_second_stage_choice_is_cross_validated_and_paired_against_the_hybrid():
    from zhiku.evaluation.beir_dataset import Query
    from zhiku.evaluation.retrieval_eval import VariantResult, paired_against, stage_cross_validation

    ids = [f"q{i}" for i in range(8)]
    data = BeirDataset("toy", [], [Query(q, q) for q in ids], {q: {f"{q}-gold"} for q in ids}, {})
    hybrid = VariantResult("hybrid", {}, {q: [f"{q}-x", f"{q}-gold"] for q in ids})  # gold second everywhere
    # A stage that lifts the gold passage on the even questions and sinks it on the odd ones: the halves disagree.
    mixed = VariantResult("mixed", {}, {q: ([f"{q}-gold", f"{q}-x"] if int(q[1:]) % 2 == 0 else [f"{q}-x", f"{q}-y"])
                                        for q in ids})
    paired = paired_against(data, hybrid, [mixed])
    assert paired == {"mixed": {"mrr_up": 4, "mrr_down": 4}}
    cv = stage_cross_validation(data, [hybrid, mixed])
    # Chosen on the even half ('mixed', perfect there), measured on the odd half where it finds nothing; and the
    # reverse: the held-out figure shows the choice does not carry over.
    assert [f["chosen"] for f in cv["folds"]] == ["mixed", "hybrid"]
    assert cv["folds"][0]["held_out"]["mrr@10"] == 0.0 and cv["folds"][1]["held_out"]["mrr@10"] == 0.5
    assert cv["held_out"]["mrr@10"] == 0.25
