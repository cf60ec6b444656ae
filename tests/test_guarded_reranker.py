"""The guarded second stage: distractors that repeat the question's words in its training rows, and the first-hit
safeguard (retrieval/first_hit_guard.py)."""
import random

import numpy as np

from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.index.vector_store import ScoredChunk
from zhiku.retrieval.hybrid_retriever import Candidates, HybridRetriever
from zhiku.retrieval.learned_reranker import FEATURES, GUARDED_WEIGHTS_FILE, LearnedReranker, SecondStageWeights
from zhiku.retrieval.reranker import RerankCandidate

QUERY = "首趟RCEP班列的起点是哪里"
EXACT = "首趟RCEP班列从南宁国际铁路港出发，起点为南宁。"
SCATTERED = "RCEP协定生效后，多个城市开通班列，首趟列车的时间尚未公布，起点城市众多。"


def _phrase_weights(first_hit_margin):
    """A bounded model that trusts the phrase feature far more than the fused score."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("fused")] = 0.1
    coef[FEATURES.index("phrase")] = 5.0
    mean = np.zeros(len(FEATURES))
    mean[FEATURES.index("phrase")] = 0.5
    return SecondStageWeights(tuple(FEATURES), mean, np.ones(len(FEATURES)), coef, bound=0.05,
                              first_hit_margin=first_hit_margin)


def _candidates():
    # The hybrid's first hit repeats the question's words; the second, 0.02 below, states the answer verbatim.
    return [RerankCandidate(SCATTERED, 0.90, 0.8, 5.0, True, "s"), RerankCandidate(EXACT, 0.88, 0.7, 4.0, True, "e"),
            RerankCandidate("南宁是广西的首府。", 0.50, 0.5, 1.0, True, "n")]


def test_the_first_hit_keeps_its_place_unless_the_model_prefers_another_by_the_margin():
    tokenizer = JiebaBm25Encoder()
    unguarded = LearnedReranker(tokenizer, _phrase_weights(None)).score(QUERY, _candidates())
    assert unguarded[1] > unguarded[0]  # the bounded stage alone moves the verbatim statement first
    linear_lead = 5.0 * 1.0  # phrase 1 against about 0: the model's lead in logits is about five
    guarded = LearnedReranker(tokenizer, _phrase_weights(linear_lead + 1)).score(QUERY, _candidates())
    assert guarded[0] > guarded[1] > guarded[2]  # not sure enough: the first hit stays, the rest keeps its order
    assert guarded[0] - guarded[1] < 1e-6  # held back right below the first hit
    passed = LearnedReranker(tokenizer, _phrase_weights(1.0)).score(QUERY, _candidates())
    assert passed[1] > passed[0]  # a lead above the margin passes


def test_the_first_hit_margin_is_part_of_the_weights_file():
    again = SecondStageWeights.from_json(_phrase_weights(float("inf")).to_json())
    assert again.first_hit_margin == float("inf") and again.bound == 0.05
    assert SecondStageWeights.from_json(_phrase_weights(None).to_json()).first_hit_margin is None


def test_the_shipped_guarded_weights_guard_the_first_hit_and_were_fitted_with_distractors():
    from zhiku.retrieval.guarded_reranker import GuardedReranker

    reranker = GuardedReranker(JiebaBm25Encoder())
    assert reranker.weights.first_hit_margin is not None and reranker.weights.bound is not None
    assert reranker.weights.meta["word_distractor_questions"] > 0
    assert reranker.weights.scripts == ("cjk",)
    assert GUARDED_WEIGHTS_FILE.exists()


def test_the_distractors_repeat_the_questions_words_without_the_answer():
    from zhiku.evaluation.second_stage_fit import word_distractors

    tokenizer = JiebaBm25Encoder()
    question = "2019年南宁开通了几条地铁线路"
    answer = "2019年南宁开通了3条地铁线路，全长100公里。"
    article = ["南宁地铁线路的规划始于2008年，南宁开通地铁线路后客流逐年上升。",  # the question's words, no answer
               "南宁是广西的首府。",                                                  # too few of its words
               "截至2019年南宁开通了3条地铁线路。"]                                    # holds the answer: not a distractor
    terms = list(dict.fromkeys(tokenizer.tokenize(question)))
    idf = {t: 1.0 for t in terms}
    made = word_distractors(question, answer, ["3条"], article, idf, terms, {}, random.Random(0))
    kinds = [k for k, _ in made]
    assert kinds == ["altered", "article"]
    altered = made[0][1]
    assert altered != answer and "2019年" not in altered or "3条" not in altered  # the year or the count changed
    assert made[1][1] == article[0]


def _payload(pid: str, text: str) -> dict:
    return {"text": text, "kb_id": "kb", "document_id": pid, "document_name": f"{pid}.txt"}


def test_training_rows_place_the_distractors_after_the_answer_passage_with_its_first_stage_scores():
    from zhiku.evaluation.beir_dataset import BeirDataset, Passage, Query
    from zhiku.evaluation.second_stage_fit import measure, question_rows

    texts = {"p0": "2019年南宁开通了3条地铁线路，全长100公里。",
             "p1": "南宁地铁线路的规划始于2008年，南宁开通地铁线路后客流逐年上升。",
             "p2": "该市在多个城区设有公交枢纽。"}
    titles = {"p0": "南宁地铁", "p1": "南宁地铁", "p2": "南宁公交"}
    dense = [ScoredChunk(f"c{p}", s, _payload(p, texts[p])) for p, s in (("p0", 0.9), ("p2", 0.7))]
    sparse = [ScoredChunk(f"c{p}", s, _payload(p, texts[p])) for p, s in (("p0", 9.0), ("p2", 5.0))]
    query = Query("q0", "2019年南宁开通了几条地铁线路", "train")
    data = BeirDataset("train", [Passage(p, titles[p], t) for p, t in texts.items()], [query], {"q0": {"p0"}},
                       {p: "train" for p in texts})
    retriever = HybridRetriever(None, None, JiebaBm25Encoder(), None)
    reranker = LearnedReranker(retriever.sparse, SecondStageWeights.neutral())
    [row] = question_rows(data, retriever, {"q0": Candidates(dense, sparse)}, {"q0": ["3条"]}, reranker,
                          near_duplicates=False, distractors=True, names={})
    assert row.distractors
    assert row.passages[:3] == ["p0", "q0#altered-0", "q0#article-1"] and list(row.labels[:3]) == [1, 0, 0]
    col = FEATURES.index
    assert row.x[1, col("fused")] == row.x[0, col("fused")] == row.x[2, col("fused")]
    assert measure([row], data.qrels, None)["mrr@10"] == 1.0  # the hybrid keeps the answer passage first


def test_cross_validation_keeps_the_first_hit_where_distractors_would_pass_it():
    """Questions whose right passage sits third and states the question verbatim (the model may lift it), and
    questions whose right first hit is followed by a distractor that states it just as verbatim (RGB's case): without
    the safeguard every bound that helps the first kind loses the second, so the choice needs the first-hit margin."""
    from zhiku.evaluation.second_stage_fit import QuestionRows, choose_form, per_question

    rng = np.random.default_rng(3)
    rows, qrels = [], {}
    col = FEATURES.index
    for q in range(90):
        x = rng.uniform(0, 0.3, size=(4, len(FEATURES)))
        distractor = q % 3 == 0
        x[:, col("fused")] = [0.9, 0.88, 0.87, 0.4]
        if distractor:  # the right first hit, then a passage repeating the question's words
            x[1, col("phrase")] = 1.0
            labels, right = [1, 0, 0, 0], 0
        else:           # the right passage third, repeating the question's words
            x[2, col("phrase")] = 1.0
            labels, right = [0, 0, 1, 0], 2
        pids = [f"p{q}{i}" for i in range(4)]
        rows.append(QuestionRows(f"q{q}", x, np.array(labels), pids, group="g", distractors=distractor))
        qrels[f"q{q}"] = {pids[right]}
    unguarded = choose_form(rows, qrels, (1.0,), (0.0, 0.05), paired=True)
    # A bound that helps loses the distractor questions, and the hybrid (bound 0) is clearly worse: nothing eligible.
    assert unguarded["chosen"] is None
    guarded = choose_form(rows, qrels, (1.0,), (0.0, 0.05), paired=True, first_hit_margins=(None, float("inf")))
    pick = guarded["chosen"]
    assert pick["bound"] == 0.05 and pick["first_hit_margin"] == float("inf")
    assert pick["by_set"]["word_distractors"]["mrr@10"] == pick["by_set"]["word_distractors"]["hybrid_mrr@10"] == 1.0
    assert pick["mrr@10"] > guarded["hybrid"]["mrr@10"]  # the third-placed right passages still move up
    hybrid_mrr, _ = per_question(rows, qrels, None)
    assert hybrid_mrr.mean() == guarded["hybrid"]["mrr@10"]
