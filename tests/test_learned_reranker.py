"""The learned second stage (weights as data, passages read once per chunk) and fusion per query language."""
import numpy as np
import pytest

from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.index.vector_store import ScoredChunk
from zhiku.retrieval.hybrid_retriever import Candidates, HybridRetriever, RetrievalConfig, RetrievalMode, rerank_candidates
from zhiku.retrieval.learned_reranker import FEATURES, WEIGHTS_FILE, LearnedReranker, SecondStageWeights
from zhiku.retrieval.reranker import RerankCandidate

QUERY = "首趟RCEP班列的起点是哪里"
EXACT = "首趟RCEP班列从南宁国际铁路港出发，起点为南宁。"
SCATTERED = "RCEP协定生效后，多个城市开通班列，首趟列车的时间尚未公布，起点城市众多。"


class CountingTokenizer(JiebaBm25Encoder):
    """The real jieba tokenizer, counting the texts it is asked to read."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []

    def tokenize(self, text: str) -> list[str]:
        self.texts.append(text)
        return super().tokenize(text)


def _payload(pid: str, text: str) -> dict:
    return {"text": text, "kb_id": "kb", "document_id": pid, "document_name": f"{pid}.txt"}


def test_weights_are_data_and_name_only_known_features():
    weights = SecondStageWeights(tuple(FEATURES), np.arange(len(FEATURES), dtype=float), np.ones(len(FEATURES)),
                                 np.linspace(-1, 1, len(FEATURES)), {"fitted_on": "test"})
    again = SecondStageWeights.from_json(weights.to_json())
    assert again.features == weights.features and np.allclose(again.coef, weights.coef)
    assert again.meta == {"fitted_on": "test"}
    with pytest.raises(ValueError):
        SecondStageWeights.from_json(weights.to_json().replace('"fused"', '"clicks"'))


def test_neutral_weights_keep_the_fused_order_and_passages_are_read_once_per_chunk():
    tokenizer = CountingTokenizer()
    reranker = LearnedReranker(tokenizer, SecondStageWeights.neutral())
    candidates = [RerankCandidate(SCATTERED, 0.9, 0.8, 5.0, True, "c1"), RerankCandidate(EXACT, 0.5, 0.7, 4.0, True, "c2")]
    first = reranker.score(QUERY, candidates)
    assert first[0] > first[1]  # neutral: the fused score alone
    assert tokenizer.texts.count(EXACT) == 1 and tokenizer.texts.count(SCATTERED) == 1
    reranker.score("RCEP班列什么时候开通", candidates)
    assert tokenizer.texts.count(EXACT) == 1 and tokenizer.texts.count(SCATTERED) == 1  # cached per chunk id
    changed = [RerankCandidate(EXACT + "另有说明。", 0.5, 0.7, 4.0, True, "c2")]
    reranker.score(QUERY, changed)
    assert tokenizer.texts.count(EXACT + "另有说明。") == 1  # a chunk id whose text changed is read again


def test_features_see_rare_terms_ranks_and_answer_kinds():
    reranker = LearnedReranker(JiebaBm25Encoder(), SecondStageWeights.neutral())
    query = "2023年个人住房贷款利率是多少"
    holds = "2023年个人住房贷款利率为3.95%，较上年下降。"
    names = "个人住房贷款由各分行办理，利率按规定执行。"
    x = reranker.feature_matrix(query, [RerankCandidate(names, 0.8, 0.9, 3.0, True, "a", 1.0, 0.5),
                                        RerankCandidate(holds, 0.7, 0.8, 4.0, True, "b", 0.5, 1.0)])
    col = {name: i for i, name in enumerate(FEATURES)}
    assert x[1, col["kind_match"]] == 1.0 and x[0, col["kind_match"]] == 0.0  # a rate is asked for
    assert x[1, col["rare_coverage"]] > x[0, col["rare_coverage"]]  # "2023" is in one candidate only
    assert x[0, col["dense_rank"]] == 1.0 and x[1, col["sparse_rank"]] == 1.0
    assert x[0, col["fused_rank"]] > x[1, col["fused_rank"]]


@pytest.mark.skipif(not WEIGHTS_FILE.exists(), reason="no fitted weights shipped")
def test_the_shipped_weights_are_fitted_on_training_data_and_bounded():
    reranker = LearnedReranker(JiebaBm25Encoder())
    assert reranker.weights.meta.get("fitted_on", "").startswith("../shared/train")
    bound = reranker.weights.bound
    assert bound is not None and 0 < bound <= 0.5
    # Two candidates the first stage can hardly tell apart, among much weaker ones: whatever the model prefers,
    # no candidate moves more than the bound, so the weak ones stay below.
    fillers = [RerankCandidate(f"南宁市第{i}号公告：天气晴。", 0.3 - i / 100, 0.78 - i / 200, 1.0, True, f"f{i}")
               for i in range(8)]
    candidates = [RerankCandidate(SCATTERED, 0.80, 0.850, 6.0, True, "s"),
                  RerankCandidate(EXACT, 0.79, 0.849, 5.9, True, "e")] + fillers
    scores = reranker.score(QUERY, candidates)
    assert all(abs(s - c.fused) <= bound + 1e-9 for s, c in zip(scores, candidates))
    assert min(scores[:2]) > max(scores[2:])


def test_first_stage_ranks_are_counted_over_every_fused_candidate():
    retriever = HybridRetriever(None, None, JiebaBm25Encoder(), None)
    dense = [ScoredChunk("a", 0.9, _payload("a", "甲")), ScoredChunk("b", 0.8, _payload("b", "乙")),
             ScoredChunk("c", 0.7, _payload("c", "丙"))]
    sparse = [ScoredChunk("c", 9.0, _payload("c", "丙")), ScoredChunk("d", 3.0, _payload("d", "丁"))]
    hits = retriever.rank("丙", Candidates(dense, sparse), RetrievalMode.HYBRID)
    by_id = {c.chunk_id: c for c in rerank_candidates("丙", hits[:2], hits)}
    assert by_id["c"].sparse_rank == 1.0 and by_id["c"].dense_rank == pytest.approx(1 / 3)
    assert by_id["a"].sparse_rank == 0.0 and by_id["a"].dense_rank == 1.0


def test_fusion_weight_follows_the_language_of_the_query():
    config = RetrievalConfig(dense_weight=0.6, dense_weight_zh=0.4, dense_weight_en=0.9)
    assert (config.dense_weight_for("cjk"), config.dense_weight_for("latin"), config.dense_weight_for("other")) == (
        0.4, 0.9, 0.6)
    retriever = HybridRetriever(None, None, JiebaBm25Encoder(), None, config)

    def order(query: str, texts: tuple[str, str]) -> list[str]:
        # "x" is the dense retriever's best, "y" the sparse retriever's best; both are in both lists.
        dense = [ScoredChunk("x", 0.9, _payload("x", texts[0])), ScoredChunk("y", 0.6, _payload("y", texts[1]))]
        sparse = [ScoredChunk("y", 8.0, _payload("y", texts[1])), ScoredChunk("x", 5.0, _payload("x", texts[0]))]
        return [h.chunk_id for h in retriever.rank(query, Candidates(dense, sparse), RetrievalMode.HYBRID)]

    assert order("贷款期限最长多少年", ("贷款期限三十年", "贷款期限说明")) == ["y", "x"]  # zh: sparse weighs 0.6
    assert order("longest loan term", ("loan term thirty years", "loan term notes")) == ["x", "y"]  # en: dense 0.9


def test_the_feature_stage_also_reads_each_chunk_once():
    from zhiku.retrieval.feature_reranker import FeatureReranker

    tokenizer = CountingTokenizer()
    reranker = FeatureReranker(tokenizer)
    candidates = [RerankCandidate(SCATTERED, 0.55, None, None, True, "s"), RerankCandidate(EXACT, 0.5, None, None, True, "e")]
    for query in (QUERY, "RCEP班列什么时候开通", "南宁国际铁路港"):
        scores = reranker.score(query, candidates)
    assert tokenizer.texts.count(EXACT) == 1 and tokenizer.texts.count(SCATTERED) == 1
    assert scores[1] > scores[0]


def test_weights_fitted_on_chinese_questions_leave_an_english_query_in_first_stage_order():
    weights = SecondStageWeights(tuple(FEATURES), np.zeros(len(FEATURES)), np.ones(len(FEATURES)),
                                 -np.eye(len(FEATURES))[FEATURES.index("fused")], scripts=("cjk",))
    reranker = LearnedReranker(JiebaBm25Encoder(), weights)  # these weights invert the fused order
    candidates = [RerankCandidate("loan term thirty years", 0.9, 0.8, 5.0, True, "a"),
                  RerankCandidate("贷款期限三十年", 0.4, 0.7, 4.0, True, "b")]
    english, chinese = reranker.score("longest loan term", candidates), reranker.score("贷款期限最长多少年", candidates)
    assert english[0] > english[1] and chinese[0] < chinese[1]
    assert SecondStageWeights.from_json(weights.to_json()).scripts == ("cjk",)


def _lexical_weights(bound):
    """A model that trusts the phrase feature far more than the fused score."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("fused")] = 0.1
    coef[FEATURES.index("phrase")] = 5.0
    mean = np.zeros(len(FEATURES))
    mean[FEATURES.index("phrase")] = 0.5
    return SecondStageWeights(tuple(FEATURES), mean, np.ones(len(FEATURES)), coef, bound=bound)


def test_a_bounded_stage_moves_a_candidate_only_past_close_first_stage_neighbours():
    far = [RerankCandidate(SCATTERED, 0.90, 0.8, 5.0, True, "s"), RerankCandidate(EXACT, 0.70, 0.7, 4.0, True, "e")]
    near = [RerankCandidate(SCATTERED, 0.90, 0.8, 5.0, True, "s"), RerankCandidate(EXACT, 0.88, 0.7, 4.0, True, "e")]
    bounded = LearnedReranker(JiebaBm25Encoder(), _lexical_weights(0.05))
    unbounded = LearnedReranker(JiebaBm25Encoder(), _lexical_weights(None))
    far_scores = bounded.score(QUERY, far)
    assert far_scores[0] > far_scores[1]  # 0.2 apart in fused score: more than twice the bound
    assert all(abs(s - c.fused) <= 0.05 + 1e-9 for s, c in zip(far_scores, far))
    near_scores = bounded.score(QUERY, near)
    assert near_scores[1] > near_scores[0]  # 0.02 apart: the verbatim statement of the query wins
    unbounded_scores = unbounded.score(QUERY, far)
    assert unbounded_scores[1] > unbounded_scores[0]  # without the bound the lexical evidence overrides the order
    zero = LearnedReranker(JiebaBm25Encoder(), _lexical_weights(0.0)).score(QUERY, near)
    assert zero == [c.fused for c in near]  # bound 0: the first-stage order


def test_the_bound_is_part_of_the_weights_file():
    weights = _lexical_weights(0.05)
    again = SecondStageWeights.from_json(weights.to_json())
    assert again.bound == 0.05
    assert SecondStageWeights.from_json(_lexical_weights(None).to_json()).bound is None


def test_cross_validation_picks_the_smallest_bound_the_training_data_cannot_tell_from_the_best():
    from zhiku.evaluation.second_stage_fit import QuestionRows, choose_form

    rng = np.random.default_rng(0)
    rows, qrels = [], {}
    for q in range(60):
        # The relevant candidate (row 1) sits just below the first one in fused score and states the query.
        x = rng.uniform(0, 0.3, size=(4, len(FEATURES)))
        x[:, FEATURES.index("fused")] = [0.9, 0.88, 0.5, 0.4]
        x[1, FEATURES.index("phrase")] = 1.0
        rows.append(QuestionRows(f"q{q}", x, np.array([0, 1, 0, 0]), [f"p{q}a", f"p{q}b", f"p{q}c", f"p{q}d"],
                                 group="g" + str(q % 2)))
        qrels[f"q{q}"] = {f"p{q}b"}
    form = choose_form(rows, qrels, (1.0,), (0.0, 0.05, float("inf")))
    assert form["hybrid"]["mrr@10"] == 0.5
    by_bound = {t["bound"]: t for t in form["table"]}
    assert by_bound[0.0]["mrr@10"] == 0.5 and by_bound[0.05]["mrr@10"] == 1.0
    assert form["chosen"]["bound"] == 0.05  # as good as unbounded, and smaller


def test_a_passage_about_another_year_or_figure_is_marked_as_contradicting_the_question():
    reranker = LearnedReranker(JiebaBm25Encoder(), SecondStageWeights.neutral())
    query = "2022年北京冬奥会的开幕式在哪天举行"
    same = "2022年北京冬奥会开幕式于2月4日在国家体育场举行。"
    other_year = "2008年北京奥运会开幕式于8月8日在国家体育场举行。"
    no_year = "北京冬奥会开幕式在国家体育场举行。"
    x = reranker.feature_matrix(query, [RerankCandidate(t, 0.8, 0.9, 3.0, True, f"c{i}")
                                        for i, t in enumerate((same, other_year, no_year))])
    conflict, missing = x[:, FEATURES.index("constraint_conflict")], x[:, FEATURES.index("constraint_missing")]
    assert list(conflict) == [0.0, 1.0, 0.0]  # naming no year is not a contradiction
    assert list(missing) == [0.0, 1.0, 1.0]
    plain = reranker.feature_matrix("冬奥会开幕式在哪里举行", [RerankCandidate(other_year, 0.8, 0.9, 3.0, True, "c1")])
    assert plain[0, FEATURES.index("constraint_conflict")] == 0.0  # the question pins no year


def test_the_made_up_near_duplicate_moves_the_questions_year_and_figure_only():
    from zhiku.evaluation.second_stage_fit import near_duplicate
    from zhiku.retrieval.question_constraints import question_constraints

    passage = "2019年该行发放贷款300亿元，较2018年增长12%。"
    altered = near_duplicate(passage, question_constraints("2019年该行发放了多少贷款"))
    assert altered == "2018年该行发放贷款300亿元，较2018年增长12%。"
    assert not question_constraints("2019年该行发放了多少贷款").met_by(altered)
    assert near_duplicate("该行发放贷款300亿元。", question_constraints("2019年该行发放了多少贷款")) is None
    assert near_duplicate("全年共开通3条线路。", question_constraints("全年开通了3条什么线路")) == "全年共开通4条线路。"


def test_position_weighted_pairs_fit_the_top_of_the_fused_order():
    from zhiku.evaluation.second_stage_fit import QuestionRows, fit_pairwise

    rng = np.random.default_rng(1)
    rows = []
    for q in range(40):
        x = rng.uniform(0, 1, size=(6, len(FEATURES)))
        rows.append(QuestionRows(f"q{q}", x, np.array([0, 1, 0, 0, 0, 0]), [f"p{q}{i}" for i in range(6)]))
    uniform, position = fit_pairwise(rows, 1.0), fit_pairwise(rows, 1.0, pairs="position")
    assert position.meta["pair_weighting"] == "position" and uniform.meta["pair_weighting"] == "uniform"
    assert not np.allclose(uniform.coef, position.coef)  # the first row's pair weighs more: another fit
    with pytest.raises(ValueError):
        fit_pairwise(rows, 1.0, pairs="listwise")


def test_training_rows_place_the_near_duplicate_right_after_the_answer_passage():
    from zhiku.evaluation.beir_dataset import BeirDataset, Passage, Query
    from zhiku.evaluation.second_stage_fit import measure, question_rows

    texts = {"p0": "2019年该行发放贷款300亿元。", "p1": "该行在多个城市设有分行。", "p2": "2020年该行发放贷款320亿元。"}
    dense = [ScoredChunk(f"c{p}", s, _payload(p, texts[p])) for p, s in (("p0", 0.9), ("p1", 0.8), ("p2", 0.7))]
    sparse = [ScoredChunk(f"c{p}", s, _payload(p, texts[p])) for p, s in (("p0", 9.0), ("p2", 5.0))]
    query = Query("q0", "2019年该行发放了多少贷款", "train")
    data = BeirDataset("train", [Passage(p, "", t) for p, t in texts.items()], [query], {"q0": {"p0"}}, {})
    retriever = HybridRetriever(None, None, JiebaBm25Encoder(), None)
    reranker = LearnedReranker(retriever.sparse, SecondStageWeights.neutral())
    [row] = question_rows(data, retriever, {"q0": Candidates(dense, sparse)}, {"q0": ["300亿元"]}, reranker)
    assert row.near_duplicate and row.passages[:2] == ["p0", "q0#near-duplicate"] and list(row.labels[:2]) == [1, 0]
    col = FEATURES.index
    assert row.x[1, col("fused")] == row.x[0, col("fused")]  # the first-stage evidence is the answer passage's
    assert row.x[1, col("constraint_conflict")] == 1.0 and row.x[0, col("constraint_conflict")] == 0.0
    assert measure([row], data.qrels, None)["mrr@10"] == 1.0  # the hybrid keeps the answer passage first
    [plain] = question_rows(data, retriever, {"q0": Candidates(dense, sparse)}, {"q0": ["300亿元"]}, reranker, False)
    assert not plain.near_duplicate and len(plain.passages) == 3


def test_a_passage_stating_one_of_two_pinned_years_is_no_contradiction():
    reranker = LearnedReranker(JiebaBm25Encoder(), SecondStageWeights.neutral())
    query = "2021年和2022年该行的净利润分别是多少"
    x = reranker.feature_matrix(query, [RerankCandidate("2021年该行净利润为100亿元。", 0.8, 0.9, 3.0, True, "a"),
                                        RerankCandidate("2019年该行净利润为80亿元。", 0.7, 0.8, 3.0, True, "b")])
    assert list(x[:, FEATURES.index("constraint_conflict")]) == [0.0, 1.0]


def test_a_passage_stating_the_answer_in_one_sentence_about_the_question_is_told_from_one_that_scatters_its_words():
    reranker = LearnedReranker(JiebaBm25Encoder(), SecondStageWeights.neutral())
    query = "2021年香港GDP增长率是多少"
    states = "据统计处公布，2021年香港GDP全年增长率为6.4%。这是十年来最快的增速。"
    scatters = "香港经济在2021年逐步复苏，增长率回升。分析人士认为，GDP仍面临不确定性，失业率为5%。"
    x = reranker.feature_matrix(query, [RerankCandidate(scatters, 0.9, 0.9, 5.0, True, "s"),
                                        RerankCandidate(states, 0.8, 0.8, 4.0, True, "a")])
    col = {name: i for i, name in enumerate(FEATURES)}
    assert x[1, col["sentence_coverage"]] > x[0, col["sentence_coverage"]]  # one sentence holds every rare term
    assert x[1, col["sentence_kind"]] == 1.0 and x[0, col["sentence_kind"]] == 0.0  # a rate is asked for
    assert x[0, col["rare_coverage"]] == x[1, col["rare_coverage"]]  # the passage-level feature cannot tell them apart
    english = reranker.feature_matrix("how much did GDP grow", [RerankCandidate(states, 0.8, 0.8, 4.0, False, "a")])
    assert english[0, col["sentence_kind"]] == 0.5  # across scripts: not read


def test_the_evidence_stage_weighs_the_fused_score_and_answer_evidence_only():
    from zhiku.core.settings import Settings
    from zhiku.evaluation.second_stage_fit import EVIDENCE_FEATURES
    from zhiku.retrieval.reranker_factory import build_reranker

    reranker = build_reranker(Settings(reranker="evidence"), JiebaBm25Encoder())
    assert reranker.name == "evidence"
    assert reranker.weights.features == EVIDENCE_FEATURES and reranker.weights.scripts == ("cjk",)
    assert reranker.weights.meta["fitted_on"].startswith("../shared/train") and reranker.weights.bound is not None
    # English keeps the hybrid order; a Chinese candidate far below in fused score stays below whatever it holds.
    far = [RerankCandidate(SCATTERED, 0.95, 0.8, 5.0, True, "s"), RerankCandidate(EXACT, 0.40, 0.7, 4.0, True, "e")]
    scores = reranker.score(QUERY, far)
    assert scores[0] > scores[1]
    assert reranker.score("where does the first RCEP train start", far) == [0.95, 0.40]


def test_a_fit_on_a_feature_subset_names_only_those_features():
    from zhiku.evaluation.second_stage_fit import EVIDENCE_FEATURES, QuestionRows, fit_pairwise

    rng = np.random.default_rng(1)
    rows = [QuestionRows(f"q{i}", rng.uniform(0, 1, size=(5, len(FEATURES))), np.array([1, 0, 0, 0, 0]),
                         [f"p{i}{j}" for j in range(5)]) for i in range(20)]
    weights = fit_pairwise(rows, 1.0, features=EVIDENCE_FEATURES)
    assert weights.features == EVIDENCE_FEATURES and len(weights.coef) == len(EVIDENCE_FEATURES)
    with pytest.raises(ValueError):
        fit_pairwise([QuestionRows("q", np.zeros((2, 3)), np.array([1, 0]), ["a", "b"])], 1.0)


def test_a_who_question_reads_no_value_kind_in_the_sentence_feature():
    reranker = LearnedReranker(JiebaBm25Encoder(), SecondStageWeights.neutral())
    col = {name: i for i, name in enumerate(FEATURES)}
    # "这部" passes the institution-name pattern ("…部"); a who-question's answer is a person, which it misses.
    x = reranker.feature_matrix("电影《四海》的导演是谁", [
        RerankCandidate("所以这部《四海》可以看成是前传，在导演心中另有安排。", 0.7, 0.7, 3.0, True, "n"),
        RerankCandidate("电影《四海》的导演是韩寒。", 0.8, 0.8, 4.0, True, "a")])
    assert list(x[:, col["sentence_kind"]]) == [0.5, 0.5]


def test_weights_that_do_not_name_the_sentence_features_do_not_pay_for_them(monkeypatch):
    import zhiku.retrieval.learned_reranker as module

    calls = []
    monkeypatch.setattr(module, "sentence_features", lambda *a: calls.append(a) or (1.0, 1.0, 1.0))
    shipped_like = SecondStageWeights(FEATURES[:13], np.zeros(13), np.ones(13), np.eye(13)[0])
    LearnedReranker(JiebaBm25Encoder(), shipped_like).feature_matrix(QUERY, [RerankCandidate(EXACT, 0.5, 0.5, 1.0, True, "e")])
    assert calls == []
    LearnedReranker(JiebaBm25Encoder(), SecondStageWeights.neutral()).feature_matrix(
        QUERY, [RerankCandidate(EXACT, 0.5, 0.5, 1.0, True, "e")])
    assert len(calls) == 1  # fitting (neutral weights name every feature) reads them


def test_a_headline_repeating_the_question_above_the_sentence_with_the_figure_counts_as_near_evidence():
    reranker = LearnedReranker(JiebaBm25Encoder(), SecondStageWeights.neutral())
    col = {name: i for i, name in enumerate(FEATURES)}
    query = "该行去年的净利润是多少"
    headline = "该行去年净利润创新高？一文看懂。该行公布年报，去年净利润为320亿元，同比增长8%。"
    unrelated = "该行去年净利润创新高？一文看懂。分析人士认为前景乐观。另外，天气晴朗，气温为20度。"
    x = reranker.feature_matrix(query, [RerankCandidate(headline, 0.9, 0.9, 5.0, True, "h"),
                                        RerankCandidate(unrelated, 0.8, 0.8, 4.0, True, "u")])
    assert x[0, col["near_kind"]] == 1.0  # the figure sits in a sentence near the question's words
    assert x[1, col["near_kind"]] == 0.0  # no amount anywhere near them
    assert x[0, col["near_kind"]] >= x[0, col["sentence_kind"]]  # never below the best sentence's reading


def test_made_up_two_part_questions_join_neighbouring_paragraphs_of_one_article():
    from zhiku.evaluation.answer_selector_fit import TrainQuestion, TrainSet
    from zhiku.evaluation.second_stage_fit import join_questions, training_dataset

    paragraphs = ["甲公司成立于1990年。", "甲公司总部位于上海。", "乙银行的行长是张三。"]
    questions = [TrainQuestion("甲公司成立于哪一年？", ["1990年"], 0, "s"),
                 TrainQuestion("甲公司总部在哪里？", ["上海"], 1, "s"),
                 TrainQuestion("乙银行的行长是谁？", ["张三"], 2, "s")]
    data, answers = training_dataset([TrainSet("s", paragraphs, ["甲", "甲", "乙"], questions)], 3, multi_part=5)
    made = [q for q in data.queries if q.query_id.startswith("m")]
    assert len(made) == 1  # one article with two paragraphs: one pair
    assert data.qrels[made[0].query_id] == {"s:0", "s:1"}
    assert set(answers[made[0].query_id]) == {"1990年", "上海"}
    assert made[0].text in (join_questions("甲公司成立于哪一年？", "甲公司总部在哪里？"),
                            join_questions("甲公司总部在哪里？", "甲公司成立于哪一年？"))
    assert join_questions("甲是谁？", "乙在哪？") == "甲是谁，乙在哪？"
