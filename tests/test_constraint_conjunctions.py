"""Values of one kind joined by a conjunction in a question are alternatives (retrieval/question_constraints.py
`alternatives`): a passage stating one of them does not miss the constraint (learned_reranker `constraint_missing`)."""
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.retrieval.learned_reranker import FEATURES, LearnedReranker, SecondStageWeights
from zhiku.retrieval.question_constraints import question_constraints
from zhiku.retrieval.reranker import RerankCandidate


def test_conjoined_values_form_one_group_and_other_values_their_own():
    assert question_constraints("某银行2019年和2020年的净利润分别是多少").alternatives == (("2019", "2020"),)
    assert question_constraints("2019、2020和2021年的贷款余额").alternatives == (("2019", "2020", "2021"),)
    assert question_constraints("3月与4月的存款利率").alternatives == (("3", "4"),)
    assert question_constraints("《甲方》和《乙方》的作者").alternatives == (("甲方", "乙方"),)
    # A range and a comparison pin both values; a year and a month are not alternatives to each other.
    assert question_constraints("2019-2020赛季的冠军").alternatives == ()
    assert question_constraints("2020年比2019年增长多少").alternatives == ()
    assert question_constraints("2020年和3月的利率").alternatives == ()
    groups = question_constraints("2020年比2019年和2018年增长多少").pinned_groups()
    assert sorted(groups) == [("2019", "2018"), ("2020",)]


def _missing(query: str, texts: list[str]) -> list[float]:
    reranker = LearnedReranker(JiebaBm25Encoder(), SecondStageWeights.neutral())
    candidates = [RerankCandidate(t, 0.9 - 0.1 * i, 0.5, 1.0, True, f"c{i}") for i, t in enumerate(texts)]
    return list(reranker.feature_matrix(query, candidates)[:, FEATURES.index("constraint_missing")])


def test_a_passage_stating_one_of_two_conjoined_years_misses_nothing():
    texts = ["该行2019年净利润为120亿元。", "该行2020年净利润为150亿元。", "该行净利润连续增长。"]
    assert _missing("该行2019年和2020年的净利润分别是多少", texts) == [0.0, 0.0, 1.0]
    # Not joined by a conjunction: each year is pinned, a passage stating one misses half.
    assert _missing("该行2020年净利润比2019年增长多少", texts) == [0.5, 0.5, 1.0]
