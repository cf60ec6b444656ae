"""The case-level answerability check (retrieval/answer_relation.py, retrieval/answerability.py) and its fit's
operating-point rule (evaluation/answerability_fit.py): small fixtures, no training data needed."""
from __future__ import annotations

import numpy as np
import pytest

from zhiku.evaluation.answerability_fit import CaseRows, choose_threshold, curve
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.retrieval.answer_relation import sentence_relation
from zhiku.retrieval.answer_selector import AnswerSelector
from zhiku.retrieval.answerability import FEATURES, WEIGHTS_FILE, AnswerabilityCheck, AnswerabilityWeights
from zhiku.retrieval.asked_value import sentence_names
from zhiku.retrieval.constraint_match import text_facts
from zhiku.retrieval.extractive_answer import ExtractiveAnswerer
from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores
from zhiku.retrieval.term_normaliser import default_normaliser

TOKENIZER = JiebaBm25Encoder()
fold = default_normaliser().normalise


@pytest.fixture(scope="module")
def check() -> AnswerabilityCheck:
    return AnswerabilityCheck(AnswerSelector(TOKENIZER))


def _read(check: AnswerabilityCheck, question: str, sentence: str) -> dict:
    s = fold(sentence)
    return sentence_relation(check.relation(question), s, frozenset(check.selector.terms(s)), "",
                             sentence_names(s, sentence, False), text_facts(s).years)


def _hit(i: int, text: str) -> SearchHit:
    citation = Citation("kb", f"d{i}", f"新闻{i}", None, None, [], 0, len(text), None)
    return SearchHit(f"c{i}", text, None, 1.0 - i / 10, StageScores(), citation)


def test_the_question_is_split_into_what_pins_the_answer_and_the_relation_asked(check):
    rel = check.relation("2022年澳网男单冠军")
    assert "2022" in rel.pinned and "澳网" in rel.pinned
    assert set(rel.relation) == {"男单", "冠军"}  # no year, no name, no single character (年)
    rel = check.relation("电影《四海》的导演是谁")
    assert rel.pinned == ("四海",) and "导演" in rel.relation and rel.asks_name


def test_one_sentence_must_tie_the_relation_the_pinned_values_and_a_new_value_together(check):
    q = "2022年澳网男单冠军"
    right = _read(check, q, "2022年澳网男单决赛，纳达尔击败梅德韦杰夫夺得冠军。")
    womens = _read(check, q, "2022年澳网女单冠军是巴蒂。")          # the same event, another relation
    last_year = _read(check, q, "2021年澳网男单冠军是德约科维奇。")  # the same relation, another edition
    preview = _read(check, q, "2022年澳网男单比赛将于下周开赛。")      # before the result: no value
    assert right["states_relation"] == 1.0 and right["value_new"] == 1.0
    assert womens["relation_cov"] < 0.75 and womens["states_relation"] == 0.0
    assert last_year["year_conflict"] == 1.0 and last_year["pinned_cov"] == 0.5
    assert last_year["states_relation"] == 0.0
    assert preview["value_new"] == 0.0 and preview["states_relation"] == 0.0


def test_a_value_next_to_the_relation_counts_more_than_one_far_from_it(check):
    q = "塔里木油田2021年的油气产量是多少？"
    near = _read(check, q, "塔里木油田2021年油气产量3182万吨。")
    far = _read(check, q, "塔里木油田2021年油气产量创新高，油田员工超过了一万人，累计投资3182万元建设新的生活基地和学校。")
    assert near["value_near_relation"] > far["value_near_relation"]


def _weights(coef: dict[str, float], intercept: float, threshold: float = 0.5) -> AnswerabilityWeights:
    return AnswerabilityWeights(FEATURES, np.zeros(len(FEATURES)), np.ones(len(FEATURES)),
                                np.asarray([coef.get(n, 0.0) for n in FEATURES]), intercept, threshold)


def test_the_answerer_refuses_below_the_checks_point_and_reports_its_score():
    hits = [_hit(0, "2022年澳网男单决赛，纳达尔击败梅德韦杰夫夺得冠军。"), _hit(1, "2022年澳网女单冠军是巴蒂。")]
    negative = [_hit(0, "2022年澳网男单比赛将于下周开赛，纳达尔和梅德韦杰夫都已抵达墨尔本。"),
                _hit(1, "2022年澳网女单冠军是巴蒂。")]
    # A hand-set model that reads only "one sentence states the relation" (the fitted file weighs more).
    weights = _weights({"top_states_relation": 2.0, "best_states_relation": 2.0}, -2.0)
    answerer = ExtractiveAnswerer(TOKENIZER, answerability=weights)
    found = answerer.answer("2022年澳网男单冠军", hits)
    assert found.found and "纳达尔" in found.answer and found.confidence > 0.5
    refused = answerer.answer("2022年澳网男单冠军", negative)
    assert not refused.found and refused.confidence < 0.5
    # Without the check the gate's best probability is the score, as before.
    plain = ExtractiveAnswerer(TOKENIZER, answerability=False)
    assert plain.confidence("2022年澳网男单冠军", hits) == max(s.probability for s in plain.rank("2022年澳网男单冠军",
                                                                                             hits))


def test_the_operating_point_keeps_95_percent_of_the_right_answers():
    n = 100
    rows = CaseRows(np.zeros((2 * n, len(FEATURES))), np.asarray([True] * n + [False] * n),
                    np.asarray(["answerable"] * n + ["answer_removed"] * n), np.arange(2 * n),
                    np.asarray([True] * n + [False] * n), np.asarray([True] * n + [False] * n), np.zeros(2 * n))
    scores = np.concatenate([np.linspace(0.01, 1.0, n), np.linspace(0.0, 0.5, n)])
    t = choose_threshold(rows, scores, 0.95)
    kept = scores[:n] >= t
    assert kept.mean() >= 0.95 and (scores[:n] >= t + 0.011).mean() < 0.95
    point = curve(rows, scores, [t])[0]
    assert point["contains_gold"] >= 0.95 and point["refused"] == pytest.approx((scores[n:] < t).mean())


@pytest.mark.skipif(not WEIGHTS_FILE.exists(), reason="no packaged answerability weights")
def test_the_packaged_check_loads_and_was_fitted_on_training_data():
    weights = AnswerabilityWeights.load()
    assert weights.features == FEATURES and 0 < weights.threshold < 1
    assert "shared/train" in weights.meta["fitted_on"]
    assert weights.coef[FEATURES.index("gate_logit")] > 0  # the gate's own score still counts for answerable


def test_the_fit_command_refits_from_saved_rows_and_writes_a_loadable_check(tmp_path):
    from typer.testing import CliRunner

    from zhiku.api.cli import app

    rng = np.random.default_rng(3)
    n = 60
    answerable = np.asarray([True, False] * n)
    x = rng.normal(size=(2 * n, len(FEATURES)))
    x[:, FEATURES.index("gate_logit")] += np.where(answerable, 1.5, -1.5)
    x[:, FEATURES.index("best_states_relation")] = answerable & (rng.random(2 * n) < 0.8)
    rows = CaseRows(x, answerable, np.where(answerable, "answerable", "answer_removed"), np.repeat(np.arange(n), 2),
                    answerable.copy(), answerable.copy(), 1 / (1 + np.exp(-x[:, 0])))
    rows.save(tmp_path / "rows.npz")
    out = tmp_path / "answerability.json"
    result = CliRunner().invoke(app, ["eval", "fit-answerability", "--rows-input", str(tmp_path / "rows.npz"),
                                      "--output", str(out)])
    assert result.exit_code == 0, result.output
    weights = AnswerabilityWeights.load(out)
    assert 0 < weights.threshold < 1 and weights.coef[FEATURES.index("gate_logit")] > 0
    assert weights.coef[FEATURES.index("best_states_relation")] > 0
    assert "check (operating point by the rule" in result.output
