"""Does a sentence hold a value of the asked kind, new to the question and next to its terms (retrieval/asked_value.py);
the rarest question word is a word, not a number; and the training cases with a headline that restates the question
(evaluation/answer_selector_fit.py)."""
from __future__ import annotations

import pytest

from zhiku.core.settings import get_settings
from zhiku.evaluation.answer_selector_fit import (TrainQuestion, TrainSet, build_cases, case_rows, restatement,
                                                  without_answer)
from zhiku.index.sparse_encoder import build_sparse_encoder
from zhiku.retrieval.answer_selector import AnswerSelector
from zhiku.retrieval.answer_types import question_kinds
from zhiku.retrieval.asked_value import asks_for_name
from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores
from zhiku.retrieval.term_normaliser import default_normaliser


@pytest.fixture(scope="module")
def tokenizer():
    return build_sparse_encoder(get_settings().sparse_encoder)


def _hit(i: int, text: str) -> SearchHit:
    return SearchHit(f"p{i}#0", text, None, 1.0 - i / 100, StageScores(),
                     Citation("t", f"p{i}", "", None, None, [], 0, len(text), None), {})


def _features(tokenizer, question: str, hits: list[SearchHit]) -> dict[str, dict[str, float]]:
    return {s.text: s.features for s in AnswerSelector(tokenizer, None, read_names=True).score(question, hits)}


def test_questions_that_ask_for_a_name_and_those_that_do_not():
    assert asks_for_name("《七人乐队》的导演是谁？")
    assert asks_for_name("2023年世界科幻大会在哪举办")
    assert asks_for_name("哪个国家主办了2022年的中国旅游文化周？")
    assert asks_for_name("which company guarantees the loan?")
    assert not asks_for_name("北京冬奥会开幕日期是什么时候")
    assert not asks_for_name("哪一年成立的？")
    assert not asks_for_name("信用卡还款有宽限期吗？")
    # Read after the term normaliser, which writes 哪一个 as 哪1个 (the pattern had missed it) and 哪一年 as 哪1年.
    norm = default_normaliser().normalise
    assert asks_for_name(norm("哈佛大学的哪一个学院排名第二？"))
    assert asks_for_name(norm("哪一条河是恒河的源头？"))
    assert not asks_for_name(norm("他在哪一年出生？"))
    assert not asks_for_name(norm("哪一个月的销量最高？"))
    # 多少 / 几 before a measure word asks for a count.
    assert "count" in question_kinds("深圳大学2022年录取了多少名本科生？")
    assert "count" in question_kinds("有几家银行参与？")
    assert "count" not in question_kinds("最多能贷几成？")


def test_a_sentence_that_restates_a_who_question_holds_no_new_name(tokenizer):
    hits = [_hit(0, "《七人乐队》是一部向时代致敬的短片集。《七人乐队》的导演包括洪金宝、许鞍华和徐克。")]
    f = _features(tokenizer, "《七人乐队》的导演是谁？", hits)
    restating, answering = f["《七人乐队》是一部向时代致敬的短片集。"], f["《七人乐队》的导演包括洪金宝、许鞍华和徐克。"]
    assert restating["name_asked_none"] == 1.0 and restating["name_asked_new"] == 0.0
    assert answering["name_asked_new"] == 1.0 and answering["name_asked_none"] == 0.0
    assert answering["asked_value_near_terms"] > 0.5


def test_a_figure_next_to_the_question_terms_counts_more_than_one_far_from_them(tokenizer):
    question = "深圳大学录取了多少名本科生？"
    near = "深圳大学今年录取7436名本科生。"
    far = "深圳大学今年录取的本科生生源质量稳定，学校所在城市的常住人口超过1700万人。"
    f = _features(tokenizer, question, [_hit(0, near + far)])
    assert f[near]["asked_value_near_terms"] > f[far]["asked_value_near_terms"]
    assert f[near]["asked_value_near_terms"] == 1.0
    # A question that asks for no figure and no name gives every sentence 0.
    g = _features(tokenizer, "深圳大学的校训", [_hit(0, near)])
    assert g[near]["asked_value_near_terms"] == 0.0


def test_the_rarest_question_term_is_a_word_not_a_number(tokenizer):
    # "2024" is unknown to jieba's IDF table and sat at its median, above 存单: the passage that lacks 存单 was not
    # counted as missing the question's rarest term.
    hits = [_hit(0, "截至2024年12月31日，稳盈90天产品年化收益率为2.96%。")]
    f = _features(tokenizer, "大额存单2024年的利率是多少？", hits)
    assert f["截至2024年12月31日，稳盈90天产品年化收益率为2.96%。"]["rarest_term_missing"] == 1.0


def test_a_headline_that_restates_the_question_opens_the_answering_paragraph_and_is_labelled_no_answer(tokenizer):
    assert restatement("《七人乐队》的导演是谁？") == "《七人乐队》的导演。"
    assert restatement("零壹空间是谁创立的？") == "零壹空间创立。"
    paragraphs = ["台北101由李祖原设计，2004年落成。", "高雄85大楼由李祖原设计。", "台北车站是交通枢纽。",
                  "台北市政府在信义区。", "台北的捷运很方便。", "台北故宫收藏文物。"]
    titles = ["台北101", "高雄", "台北车站", "台北市", "台北捷运", "故宫"]
    question = TrainQuestion("台北101是谁设计的？", ["李祖原"], 0, "t")
    train = TrainSet("t", paragraphs, titles, [question])
    case = [c for c in build_cases([train], tokenizer.tokenize, 1, hard=False, restating=1.0) if c.answerable][0]
    plain = [c for c in build_cases([train], tokenizer.tokenize, 1, hard=False, restating=0.0) if c.answerable][0]
    own = [h for h in case.hits if h.citation.document_id == "t:0"][0]
    assert own.text in ("台北101设计。台北101由李祖原设计，2004年落成。", "台北101由李祖原设计，2004年落成。台北101设计。")
    assert [h.text for h in plain.hits if h.citation.document_id == "t:0"] == [paragraphs[0]]
    # In the fit every sentence is a row labelled by whether it holds the answer: the headline is one, labelled 0.
    rows = case_rows(AnswerSelector(tokenizer, None, read_names=True), [case])
    texts = [s.text for s in AnswerSelector(tokenizer, None, read_names=True).score(question.question, case.hits)]
    assert "台北101设计。" in texts and len(rows.y) == len(texts) and rows.y.sum() >= 1


def test_a_figure_next_to_the_questions_year_counts_not_one_next_to_its_common_words_only(tokenizer):
    question = "2022年特斯拉交付量是多少辆？"
    asked = "2022年特斯拉全年交付131万辆汽车。"
    other_year = "特斯拉去年交付93万辆汽车，2021年的目标已经完成。"
    f = _features(tokenizer, question, [_hit(0, asked + other_year)])
    assert f[asked]["asked_value_near_pinned"] > 0.5
    assert f[asked]["asked_value_near_pinned"] > f[other_year]["asked_value_near_pinned"]


def test_names_are_read_only_when_the_weights_weigh_them(tokenizer):
    # The packaged weights give the name features no weight: their part-of-speech pass is not paid for at answer time.
    assert not AnswerSelector(tokenizer, None).reads_names
    assert AnswerSelector(tokenizer, None, read_names=True).reads_names


def test_a_value_new_to_the_question_against_a_sentence_that_restates_it(tokenizer):
    question = "2022年英特尔全年营收是多少？"
    restating = "英特尔公布了2022年全年营收情况。"
    answering = "2022年英特尔全年营收为631亿美元。"
    f = _features(tokenizer, question, [_hit(0, restating + answering)])
    # The restating sentence's only figure, 2022年, is the question's own: no new value of the asked kind.
    assert f[restating]["asked_value_new"] == 0.0 and f[restating]["asked_value_none_new"] == 1.0
    assert f[restating]["restates_without_value"] > 0.5
    assert f[answering]["asked_value_new"] == 1.0 and f[answering]["restates_without_value"] == 0.0
    assert f[answering]["asked_value_with_terms"] > 0.5
    # The evidence holds a new value: not absent; the best such sentence covers most of the question.
    assert f[restating]["asked_value_absent_evidence"] == 0.0
    assert f[restating]["asked_value_cov_evidence"] == f[answering]["asked_value_with_terms"]


def test_evidence_that_names_nobody_new_for_a_who_question_is_read_as_absent(tokenizer):
    question = "《七人乐队》的导演是谁？"
    hits = [_hit(0, "《七人乐队》是一部向时代致敬的短片集。影片于2022年上映。"), _hit(1, "《七人乐队》的票房表现平平。")]
    f = _features(tokenizer, question, hits)
    assert all(v["asked_value_absent_evidence"] == 1.0 and v["asked_value_cov_evidence"] == 0.0 for v in f.values())
    g = _features(tokenizer, question, hits + [_hit(2, "《七人乐队》的导演包括洪金宝、许鞍华和徐克。")])
    assert all(v["asked_value_absent_evidence"] == 0.0 and v["asked_value_cov_evidence"] > 0.5 for v in g.values())
    # A question that asks for no value of any kind is never "absent".
    h = _features(tokenizer, "《七人乐队》讲了什么故事", hits)
    assert all(v["asked_value_absent_evidence"] == 0.0 for v in h.values())


def test_the_answer_removed_training_case_keeps_the_story_without_the_answer(tokenizer):
    paragraph = "台北101是台北的地标。它由李祖原设计。大楼于2004年落成。"
    assert without_answer(paragraph, ["李祖原"]) == "台北101是台北的地标。大楼于2004年落成。"
    assert without_answer("它由李祖原设计。大楼于2004年落成。", ["李祖原"]) is None  # one sentence left: too little
    paragraphs = [paragraph, "台北101的观景台在89楼。台北101有101层。", "高雄85大楼由李祖原设计。", "台北车站是交通枢纽。",
                  "台北市政府在信义区。", "台北的捷运很方便。"]
    titles = ["台北101", "台北101", "高雄", "台北车站", "台北市", "台北捷运"]
    question = TrainQuestion("台北101是谁设计的？", ["李祖原"], 0, "t")
    cases = build_cases([TrainSet("t", paragraphs, titles, [question])], tokenizer.tokenize, 1, answer_removed=True)
    removed = [c for c in cases if c.kind == "answer_removed"]
    assert len(removed) == 1 and not removed[0].answerable
    texts = [h.text for h in removed[0].hits]
    assert "台北101是台北的地标。大楼于2004年落成。" in texts and paragraphs[1] in texts
    assert not any("李祖原" in t for t in texts)
    # The same-topic answerable case: the answering paragraph among its own article's other paragraphs.
    topic = [c for c in build_cases([TrainSet("t", paragraphs, titles, [question])], tokenizer.tokenize, 1,
                                    same_topic=True) if c.kind == "answerable_same_article"]
    assert len(topic) == 1 and topic[0].answerable
    assert {paragraphs[0], paragraphs[1]} <= {h.text for h in topic[0].hits}
    # Without the option the other cases are the same as before.
    assert [c.kind for c in build_cases([TrainSet("t", paragraphs, titles, [question])], tokenizer.tokenize, 1)] == \
        [c.kind for c in cases if c.kind != "answer_removed"]
