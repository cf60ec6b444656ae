"""The safeguard at every one of the hybrid's first hits (first_hit_guard.guard_top_hits) and its depth, chosen on
training folds (evaluation/second_stage_fit.py `choose_form`, `guard_depths`)."""
import numpy as np

from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.retrieval.first_hit_guard import guard_first_hit, guard_top_hits
from zhiku.retrieval.learned_reranker import FEATURES, LearnedReranker, SecondStageWeights
from zhiku.retrieval.reranker import RerankCandidate


def _order(scores):
    return list(np.argsort(-np.asarray(scores), kind="stable"))


def test_a_lower_right_hit_is_not_passed_without_the_lead():
    # Fused order: first hit, a right passage 2nd, then a passage the stage lifts above both with a weak lead over
    # the right one (the seventh round's loss: a right 4th hit moved to 5th below a masthead).
    stage = np.array([0.90, 0.88, 0.95, 0.40])
    linear = np.array([1.0, 1.0, 2.0, -1.0])  # a lead of 1 over both
    assert _order(guard_first_hit(stage, linear, 1.5)) == [0, 2, 1, 3]  # the first-hit guard lets it pass the 2nd
    assert _order(guard_top_hits(stage, linear, 1.5, 1)) == [0, 2, 1, 3]  # depth 1 is the first-hit guard
    assert _order(guard_top_hits(stage, linear, 1.5, float("inf"))) == [0, 1, 2, 3]
    assert _order(guard_top_hits(stage, linear, 0.5, float("inf"))) == [2, 0, 1, 3]  # a lead of 1 passes margin 0.5
    assert _order(guard_top_hits(stage, np.array([0.0, 1.0, 5.0, -1.0]), 1.5, 2)) == [2, 0, 1, 3]  # leads of 5, 4


def test_every_guarded_hit_keeps_the_candidates_without_the_lead_below_it():
    rng = np.random.default_rng(7)
    for _ in range(500):
        n = int(rng.integers(2, 12))
        stage = np.sort(rng.random(n))[::-1] + rng.normal(0, 0.2, n)
        linear = rng.normal(0, 3, n)
        margin = float(rng.choice([0.0, 1.0, 2.0, 4.0]))
        depth = float(rng.choice([1, 3, 5, np.inf]))
        order = _order(guard_top_hits(stage, linear, margin, depth))
        assert sorted(order) == list(range(n))
        for hit in range(int(min(n, depth))):
            assert all(i < hit or linear[i] - linear[hit] >= margin for i in order[:order.index(hit)])
        if depth == 1:
            assert order == _order(guard_first_hit(stage, linear, margin))


def _phrase_weights(depth):
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("fused")] = 0.1
    coef[FEATURES.index("phrase")] = 5.0
    mean = np.zeros(len(FEATURES))
    mean[FEATURES.index("phrase")] = 0.5
    return SecondStageWeights(tuple(FEATURES), mean, np.ones(len(FEATURES)), coef, bound=0.05, first_hit_margin=6.0,
                              guard_depth=depth)


def test_the_stage_guards_the_hits_below_the_first_and_the_depth_is_in_the_weights_file():
    query = "首趟RCEP班列的起点是哪里"
    candidates = [RerankCandidate("南宁是广西的首府，RCEP班列途经此地。", 0.90, 0.8, 5.0, True, "a"),
                  RerankCandidate("RCEP协定生效后，首趟班列的起点为南宁国际铁路港。", 0.89, 0.7, 4.0, True, "b"),
                  RerankCandidate("首趟RCEP班列的起点是哪里？记者走访了多个城市。", 0.88, 0.7, 4.0, True, "c")]
    tokenizer = JiebaBm25Encoder()
    first_only = LearnedReranker(tokenizer, _phrase_weights(None)).score(query, candidates)
    assert _order(first_only) == [0, 2, 1]  # the passage repeating the question verbatim passes the 2nd hit
    every = LearnedReranker(tokenizer, _phrase_weights(float("inf"))).score(query, candidates)
    assert _order(every) == [0, 1, 2]
    again = SecondStageWeights.from_json(_phrase_weights(float("inf")).to_json())
    assert again.guard_depth == float("inf") and again.first_hit_margin == 6.0
    assert SecondStageWeights.from_json(_phrase_weights(None).to_json()).guard_depth is None


def test_cross_validation_guards_lower_hits_where_a_weak_lead_would_pass_a_right_second_hit():
    """Questions whose right passage is third and matches strongly (the model lifts it with a large lead), and
    questions whose right passage is second, followed by a distractor that matches half as strongly: guarding the
    first hit alone lets the distractor pass the right second hit; a deeper guard keeps it, and lets the strong
    ones through."""
    from zhiku.evaluation.second_stage_fit import QuestionRows, choose_form, fit_pairwise

    rng = np.random.default_rng(5)
    rows, qrels = [], {}
    col = FEATURES.index
    for q in range(90):
        x = rng.uniform(0, 0.3, size=(4, len(FEATURES)))
        x[:, col("fused")] = [0.9, 0.88, 0.87, 0.4]
        x[:, col("phrase")] = 0.0
        distractor = q % 3 == 0
        if distractor:
            x[2, col("phrase")] = 0.5
            labels, right = [0, 1, 0, 0], 1
        else:
            x[2, col("phrase")] = 1.0
            labels, right = [0, 0, 1, 0], 2
        pids = [f"p{q}{i}" for i in range(4)]
        rows.append(QuestionRows(f"q{q}", x, np.array(labels), pids, group="g", distractors=distractor))
        qrels[f"q{q}"] = {pids[right]}
    features = ("fused", "phrase")
    w = fit_pairwise(rows, 1.0, features=features)
    strong = float(w.linear(np.array([[0.87, 1.0]]))[0] - w.linear(np.array([[0.87, 0.0]]))[0])
    margin = 0.75 * strong  # between the distractor's lead (half) and the right passage's
    first_only = choose_form(rows, qrels, (1.0,), (0.0, 0.05), paired=True, features=features,
                             first_hit_margins=(None, margin))
    assert first_only["chosen"] is None or first_only["chosen"]["bound"] == 0.0  # no guarded setting is safe
    deeper = choose_form(rows, qrels, (1.0,), (0.0, 0.05), paired=True, features=features,
                         first_hit_margins=(None, margin), guard_depths=(1, 3))
    pick = deeper["chosen"]
    assert pick["bound"] == 0.05 and pick["first_hit_margin"] == margin and pick["guard_depth"] == 3
    assert pick["by_set"]["word_distractors"]["mrr@10"] == pick["by_set"]["word_distractors"]["hybrid_mrr@10"]
    assert pick["mrr@10"] > deeper["hybrid"]["mrr@10"]
    # One depth alone (not 1) in the grid: its rows are found again (a KeyError before session 28).
    only_deep = choose_form(rows, qrels, (1.0,), (0.0, 0.05), paired=True, features=features,
                            first_hit_margins=(None, margin), guard_depths=(3,))
    assert only_deep["chosen"]["bound"] == 0.05 and only_deep["chosen"]["first_hit_margin"] == margin
