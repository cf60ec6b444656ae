"""A year dates a passage only in its lead sentence or in a calendar date (retrieval/question_constraints.py
`dated_years`): a right passage that names background years — an earlier election, an office's history — and not the
question's year is neither "about another year" nor "missing the year" for `dated_conflict` / `dated_missing`
(learned_reranker.py), while the passage reporting another year's event still is (issue #16, session 28)."""
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.retrieval.learned_reranker import FEATURES, LearnedReranker, SecondStageWeights
from zhiku.retrieval.question_constraints import dated_years, question_constraints
from zhiku.retrieval.reranker import RerankCandidate


def test_the_lead_sentence_and_calendar_dates_date_a_passage_other_years_are_background():
    assert dated_years("2021年该行净利润为100亿元。较上年增长。") == {"2021"}
    assert dated_years("该行公布年报。净利润较2019年增长12%，创2015年以来新高。") == set()
    assert dated_years("该行公布年报。截至2021年12月31日，贷款余额为3000亿元。") == {"2021"}
    assert dated_years("Nov 27, 2022 ... 选举结果公布。") == {"2022"}
    assert dated_years("The bank reported. On 3 March 2019 it opened a branch; it was founded in 1990.") == {"2019"}
    assert dated_years("该行于2020-06-30发布公告。此前在1998年成立。") == {"2020"}
    # A range in the lead dates the passage by both years; a number is not a year.
    assert dated_years("2021-2022赛季结束。") == {"2021", "2022"}
    assert dated_years("共有2500名员工。") == set()


def _rows(query: str, texts: list[str]):
    reranker = LearnedReranker(JiebaBm25Encoder(), SecondStageWeights.neutral())
    x = reranker.feature_matrix(query, [RerankCandidate(t, 0.9 - 0.1 * i, 0.5, 1.0, True, f"c{i}")
                                        for i, t in enumerate(texts)])
    return {name: list(x[:, FEATURES.index(name)]) for name in
            ("constraint_conflict", "constraint_missing", "dated_conflict", "dated_missing")}


def test_background_years_neither_contradict_nor_miss_the_questions_year():
    query = "2022年该行的净利润是多少"
    texts = ["2022年该行净利润为150亿元。",                       # states the year
             "2021年该行净利润为120亿元。",                       # about another year: its lead says so
             "该行今年净利润为150亿元。较2018年翻了一番。",          # written in its year, a background year
             "该行净利润为150亿元。",                             # names no year
             "该行公布年报。截至2021年12月31日，贷款余额为3000亿元。"]  # a calendar date of another year
    rows = _rows(query, texts)
    assert rows["constraint_conflict"] == [0.0, 1.0, 1.0, 0.0, 1.0]  # main's features: background reads as conflict
    assert rows["constraint_missing"] == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert rows["dated_conflict"] == [0.0, 1.0, 0.0, 0.0, 1.0]
    assert rows["dated_missing"] == [0.0, 1.0, 0.0, 0.0, 1.0]


def test_quantities_and_titles_are_read_as_before_in_an_undated_passage():
    query = "2022年该行第3季度的净利润是多少"
    rows = _rows(query, ["该行第4季度净利润为40亿元。", "该行第3季度净利润为35亿元。"])
    # No year dates either passage: the year is not missed, the quarter is read as in `constraint_*`.
    assert rows["dated_conflict"] == [1.0, 0.0] and rows["constraint_conflict"] == [1.0, 0.0]
    assert rows["dated_missing"] == [0.5, 0.0] and rows["constraint_missing"] == [1.0, 0.5]
    # A question without a year: the dated features are the plain ones.
    plain = _rows("该行第3季度的净利润是多少", ["2021年该行第4季度净利润为40亿元。", "该行第3季度净利润为35亿元。"])
    assert plain["dated_conflict"] == plain["constraint_conflict"] and plain["dated_missing"] == plain["constraint_missing"]


def test_the_training_rows_answer_passage_without_the_questions_year():
    from zhiku.evaluation.second_stage_fit import without_years

    constraints = question_constraints("2019年该行发放了多少贷款")
    assert without_years("2019年该行发放贷款300亿元，较2018年增长12%。", constraints) == \
        "当年该行发放贷款300亿元，较2018年增长12%。"
    assert without_years("该行发放贷款300亿元。", constraints) is None
    stripped = without_years("2019年该行发放贷款300亿元。较2018年增长12%。", constraints)
    assert dated_years(stripped) == set()  # its one other year, out of the lead, is background: not dated


def test_training_rows_show_the_answer_passage_without_the_year_for_half_the_year_questions():
    from zhiku.evaluation.beir_dataset import BeirDataset, Passage, Query
    from zhiku.evaluation.second_stage_fit import question_rows
    from zhiku.index.vector_store import ScoredChunk
    from zhiku.retrieval.hybrid_retriever import Candidates, HybridRetriever

    def payload(pid, text):
        return {"text": text, "kb_id": "kb", "document_id": pid, "document_name": f"{pid}.txt"}

    texts = {"p0": "2019年该行发放贷款300亿元。较2016年增长一倍。", "p1": "该行在多个城市设有分行。",
             "p2": "2020年该行发放贷款320亿元。"}
    dense = [ScoredChunk(f"c{p}", s, payload(p, texts[p])) for p, s in (("p0", 0.9), ("p1", 0.8), ("p2", 0.7))]
    sparse = [ScoredChunk(f"c{p}", s, payload(p, texts[p])) for p, s in (("p0", 9.0), ("p2", 5.0))]
    queries = [Query(f"q{i}", "2019年该行发放了多少贷款", "train") for i in range(40)]
    data = BeirDataset("train", [Passage(p, "", t) for p, t in texts.items()], queries,
                       {q.query_id: {"p0"} for q in queries}, {})
    retriever = HybridRetriever(None, None, JiebaBm25Encoder(), None)
    reranker = LearnedReranker(retriever.sparse, SecondStageWeights.neutral())
    candidates = {q.query_id: Candidates(dense, sparse) for q in queries}
    answers = {q.query_id: ["300亿元"] for q in queries}
    rows = question_rows(data, retriever, candidates, answers, reranker, background=True)
    shown = [r for r in rows if r.background]
    assert 8 <= len(shown) <= 32  # about half, by a hash of the question id
    col = FEATURES.index
    for r in rows:
        # The answer passage stays first and right; the near-duplicate is made from the passage as written.
        assert r.passages[:2] == ["p0", f"{r.query_id}#near-duplicate"] and list(r.labels[:2]) == [1, 0]
        assert r.x[1, col("dated_conflict")] == 1.0 and r.x[1, col("constraint_conflict")] == 1.0
        if r.background:  # without its year, naming 2016 as background: conflicting for main's feature only
            assert r.x[0, col("constraint_conflict")] == 1.0 and r.x[0, col("dated_conflict")] == 0.0
            assert r.x[0, col("dated_missing")] == 0.0 and r.x[0, col("constraint_missing")] == 1.0
        else:
            assert r.x[0, col("constraint_conflict")] == 0.0 and r.x[0, col("constraint_missing")] == 0.0
    assert not any(r.background for r in question_rows(data, retriever, candidates, answers, reranker))
