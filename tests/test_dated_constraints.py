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
