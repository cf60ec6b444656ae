"""Constraint-match features (retrieval/constraint_match.py), the hard unanswerable training pairs and the
first-sentence ranker's fit (evaluation/answer_selector_fit.py): small fixtures, no training data needed."""
from __future__ import annotations

import random

import numpy as np

from zhiku.evaluation.answer_selector_fit import TrainQuestion, alter_question, fit_conditional_logit
from zhiku.retrieval.constraint_match import match_features, question_facts, text_facts
from zhiku.retrieval.term_normaliser import default_normaliser

fold = default_normaliser().normalise


def _features(question: str, sentence: str, passage: str) -> dict[str, float]:
    q = question_facts(fold(question), {"特斯拉": 11.0, "交付量": 10.0})
    s, p = fold(sentence), fold(passage)
    return match_features(q, s, text_facts(s), p, text_facts(p), frozenset(), frozenset())


def test_the_question_pins_its_answer_to_a_year_a_number_and_a_name():
    q = question_facts(fold("2022年特斯拉第三季度交付了多少辆车？"), {"特斯拉": 11.0})
    assert q.years == {"2022"} and "3" in q.numbers and "特斯拉" in q.entities
    q = question_facts(fold("电影《四海》的导演是谁"), {})
    assert "四海" in q.entities and not q.years
    # A role is not a name (jieba tags 申请人 as a person), and an English question's names are its capitalised words.
    assert question_facts(fold("房贷申请人的房贷收入比上限是多少？"), {}).entities == ()
    english = "What is the annual fee of the Wenying 180-day product?"
    assert question_facts(fold(english), {}, question=english).entities == ("wenying",)


def test_another_year_in_the_sentence_conflicts_and_the_asked_one_matches():
    passage = "特斯拉2021年交付936000辆。2022年交付量为1313851辆。"
    right = _features("2022年特斯拉交付量", "2022年交付量为1313851辆。", passage)
    other = _features("2022年特斯拉交付量", "特斯拉2021年交付936000辆。", passage)
    assert right["year_in_sentence"] == 1 and right["year_conflict_sentence"] == 0
    assert other["year_in_sentence"] == 0 and other["year_conflict_sentence"] == 1
    stale = _features("2022年特斯拉交付量", "特斯拉2021年交付936000辆。", "特斯拉2021年交付936000辆。")
    assert stale["year_missing_passage"] == 1 and right["year_missing_passage"] == 0
    # A passage that names no year is not about another year (a policy states its rule without one).
    assert _features("2022年特斯拉交付量", "特斯拉交付量创新高。", "特斯拉交付量创新高。")["year_missing_passage"] == 0
    # A question without a year: neutral.
    plain = _features("特斯拉交付量", "特斯拉2021年交付936000辆。", passage)
    assert plain["year_conflict_sentence"] == plain["year_missing_passage"] == 0


def test_a_name_the_passage_does_not_hold_counts_against_it():
    with_name = _features("特斯拉交付量是多少", "特斯拉2021年交付936000辆。", "特斯拉2021年交付936000辆。")
    without = _features("特斯拉交付量是多少", "比亚迪2021年交付73万辆。", "比亚迪2021年交付73万辆。")
    assert with_name["entity_cov_passage"] == 1 and with_name["entity_missing_passage"] == 0
    assert without["entity_cov_passage"] == 0 and without["entity_missing_passage"] == 1
    assert with_name["rare_cov_sentence"] > without["rare_cov_sentence"]


def test_an_altered_question_is_not_answered_by_its_own_paragraph():
    paragraph = "1990年，该公司在台北成立，创办人为王永庆。"
    question = TrainQuestion("1990年该公司在哪里成立？", ["台北"], 0, "t")
    altered = alter_question(question, paragraph, [paragraph, "另一段：1991年的事。"], {"ns": ["高雄"]},
                             random.Random(1))
    assert altered is not None
    text, kind = altered
    assert kind == "altered_year" and "1990" not in text and text.endswith("该公司在哪里成立？")
    changed_year = text[:4]
    assert changed_year not in paragraph and changed_year != "1991"  # not a year any evidence passage holds
    assert alter_question(TrainQuestion("它在哪里？", ["台北"], 0, "t"), paragraph, [paragraph], {},
                          random.Random(1)) is None


def test_the_ranker_learns_which_sentence_of_a_case_answers():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(300, 2))
    case_index = np.repeat(np.arange(60), 5)
    y = np.zeros(300)
    for c in range(60):  # the answering sentence is the one with the highest first feature
        rows = np.flatnonzero(case_index == c)
        y[rows[np.argmax(z[rows, 0])]] = 1.0
    w = fit_conditional_logit(z, y, case_index, l2=0.1)
    assert w[0] > 1.0 and abs(w[1]) < w[0] / 3
