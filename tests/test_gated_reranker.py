"""The confidence-gated second stage: the fused order unless the fitted pairwise model is sure, the margin chosen on
training folds."""
import numpy as np
import pytest

from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.retrieval.confidence_gate import gated_order, gated_scores
from zhiku.retrieval.gated_reranker import GATED_WEIGHTS_FILE, GatedReranker
from zhiku.retrieval.learned_reranker import FEATURES, SecondStageWeights
from zhiku.retrieval.reranker import RerankCandidate

QUERY = "首趟RCEP班列的起点是哪里"
EXACT = "首趟RCEP班列从南宁国际铁路港出发，起点为南宁。"
SCATTERED = "RCEP协定生效后，多个城市开通班列，首趟列车的时间尚未公布，起点城市众多。"


def test_a_candidate_passes_only_the_ones_it_clearly_beats():
    fused = np.array([0.9, 0.8, 0.7, 0.6])
    linear = np.array([0.0, 1.0, 0.5, 3.5])
    assert gated_order(fused, linear, float("inf")) == [0, 1, 2, 3]  # the gate never opens: the fused order
    assert gated_order(fused, linear, 0.0) == [3, 1, 2, 0]  # always open: the model's order
    # Margin 2: the last candidate beats the third (3.0) and the second (2.5) clearly, the first (3.5) too; the
    # second candidate's lead over the first (1.0) is too small to act on.
    assert gated_order(fused, linear, 2.0) == [3, 0, 1, 2]
    # Margin 3: the last passes the third (3.0 ≥ 3) and stops at the second (2.5 < 3), whatever the first.
    assert gated_order(fused, linear, 3.0) == [0, 1, 3, 2]


def test_gated_scores_stay_on_the_fused_scale_and_sort_into_the_gated_order():
    fused = np.array([0.9, 0.8, 0.8, 0.1])
    linear = np.array([0.0, 0.0, 0.0, 9.0])
    scores = gated_scores(fused, linear, 2.0)
    assert sorted(range(4), key=lambda i: -scores[i]) == [3, 0, 1, 2]
    assert sorted(scores) == pytest.approx(sorted(fused))  # the same values, handed out in another order


def _weights(margin: float | None, scripts=("cjk",)) -> SecondStageWeights:
    """A model that only looks at how much of the query a passage states verbatim."""
    n = len(FEATURES)
    coef = np.zeros(n)
    coef[FEATURES.index("phrase")] = 10.0
    return SecondStageWeights(tuple(FEATURES), np.zeros(n), np.ones(n), coef, {"fitted_on": "test"}, scripts,
                              None, margin)


def test_the_margin_is_part_of_the_weights_file_and_the_stage_needs_one():
    again = SecondStageWeights.from_json(_weights(2.5).to_json())
    assert again.margin == 2.5 and again.bound is None
    assert SecondStageWeights.from_json(_weights(None).to_json()).margin is None
    with pytest.raises(ValueError, match="margin"):
        GatedReranker(JiebaBm25Encoder(), _weights(None))


def test_the_stage_acts_on_a_clear_preference_and_keeps_english_questions_in_fused_order():
    candidates = [RerankCandidate(SCATTERED, 0.80, 0.85, 6.0, True, "s"),
                  RerankCandidate(EXACT, 0.79, 0.84, 5.9, True, "e")]
    open_gate = GatedReranker(JiebaBm25Encoder(), _weights(1.0)).score(QUERY, candidates)
    assert open_gate[1] > open_gate[0]  # the passage stating the query passes
    shut = GatedReranker(JiebaBm25Encoder(), _weights(100.0)).score(QUERY, candidates)
    assert shut == pytest.approx([0.80, 0.79])  # a lead below the margin changes nothing
    english = [RerankCandidate("Passwords are rotated yearly.", 0.8, 0.8, 3.0, True, "a"),
               RerankCandidate("how often to change passwords", 0.7, 0.7, 2.0, True, "b")]
    assert GatedReranker(JiebaBm25Encoder(), _weights(0.0)).score("how often to change passwords", english) == [0.8, 0.7]


def _rows(signal: bool, questions: int = 80):
    from zhiku.evaluation.second_stage_fit import QuestionRows

    rng = np.random.default_rng(1)
    rows, qrels = [], {}
    for q in range(questions):
        # The first 17 columns drawn as before `near_kind` was added (the same random rows whatever features follow).
        x = np.zeros((4, len(FEATURES)))
        x[:, :17] = rng.uniform(0, 0.3, size=(4, 17))
        x[:, FEATURES.index("fused")] = [0.9, 0.88, 0.5, 0.4]
        relevant = 1 if signal or q % 2 else 0  # without signal the first stage is right half of the time
        if signal:
            x[1, FEATURES.index("phrase")] = 1.0  # the relevant passage states the query
        labels = np.zeros(4, dtype=int)
        labels[relevant] = 1
        rows.append(QuestionRows(f"q{q}", x, labels, [f"p{q}{c}" for c in "abcd"], group="g" + str(q % 2)))
        qrels[f"q{q}"] = {f"p{q}{'abcd'[relevant]}"}
    return rows, qrels


def test_cross_validation_chooses_the_largest_margin_the_training_data_cannot_tell_from_the_best():
    from zhiku.evaluation.second_stage_fit import choose_gate

    rows, qrels = _rows(signal=True)
    gate = choose_gate(rows, qrels, (1.0,), (0.0, 1.0, 2.0, 1000.0, float("inf")))
    by_margin = {t["margin"]: t for t in gate["table"]}
    assert by_margin[float("inf")]["mrr@10"] == gate["hybrid"]["mrr@10"] == 0.5  # a shut gate is the hybrid
    assert by_margin[0.0]["mrr@10"] == 1.0 and by_margin[1000.0]["mrr@10"] == 0.5
    eligible = [m for m, t in by_margin.items() if t["mrr@10"] >= gate["best"]["mrr@10"] - gate["best"]["mrr_se"]]
    assert gate["chosen"]["margin"] == max(eligible) < 1000.0


def test_without_a_signal_on_training_folds_the_gate_stays_shut():
    from zhiku.evaluation.second_stage_fit import choose_gate

    rows, qrels = _rows(signal=False)
    gate = choose_gate(rows, qrels, (1.0,), (0.0, 1.0, 2.0, float("inf")))
    assert gate["chosen"]["margin"] == float("inf")  # nothing beats the fused order held out: it stands


@pytest.mark.skipif(not GATED_WEIGHTS_FILE.exists(), reason="no fitted gated weights shipped")
def test_the_shipped_gate_is_fitted_on_training_data_with_a_finite_margin():
    weights = SecondStageWeights.load(GATED_WEIGHTS_FILE)
    assert weights.meta.get("fitted_on", "").startswith("../shared/train")
    assert weights.margin is not None and weights.margin >= 0
    assert weights.scripts == ("cjk",)
    chosen = weights.meta["five_fold_held_out"]["chosen"]
    assert chosen["mrr@10"] >= weights.meta["five_fold_held_out"]["hybrid"]["mrr@10"]


def test_the_gated_second_stage_is_built_from_its_shipped_weights():
    from zhiku.core.settings import Settings
    from zhiku.retrieval.reranker_factory import build_reranker

    stage = build_reranker(Settings(reranker="gated"), JiebaBm25Encoder())
    assert isinstance(stage, GatedReranker) and stage.weights.margin is not None
