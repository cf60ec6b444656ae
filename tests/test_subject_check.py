"""The subject gate of the answerability decision (retrieval/subject_check.py): a passage must hold the identifier
the question names (an issue, an edition, an article number, a code), in extractive and in LLM mode."""
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.retrieval.extractive_answer import ExtractiveAnswerer
from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores
from zhiku.retrieval.subject_check import ALL_KINDS, SubjectCheck, question_subjects

TOKENIZER = JiebaBm25Encoder()
OTHER_PRODUCT = "截至2024年12月31日，稳盈90天持有期产品成立以来年化收益率为2.96%，稳盈365天持有期产品成立以来年化收益率为3.38%。"
THE_ISSUE = "大额存单2024年第3期的年利率为2.15%，起存金额20万元。"


def hit(text: str, name: str, headings: list[str] | None = None) -> SearchHit:
    citation = Citation("kb", f"doc-{name}", name, None, None, headings or [], 0, len(text), None)
    return SearchHit(f"chunk-{name}", text, None, 1.0, StageScores(), citation)


def texts(subjects) -> list[str]:
    return [s.text for s in subjects]


def test_identifiers_of_a_series_and_codes_are_the_subject():
    assert texts(question_subjects("大额存单2024年第3期的利率是多少？")) == ["2024", "3期"]
    assert texts(question_subjects("大额存单第三期的利率是多少？")) == ["3期"]  # numerals are normalised
    assert texts(question_subjects("HCBWY180产品的风险等级？")) == ["hcbwy180"]
    # a rank or a count is not an identifier, nor is a year alone (the year features weigh that)
    assert question_subjects("谁是第一个登上月球的人？") == ()
    assert question_subjects("2025年江南恒泰的营业收入是多少？", kinds=("identifier",)) == ()
    # the rarest word is measured on the training data, not required by default
    assert "存单" not in texts(question_subjects("大额存单2024年第3期的利率是多少？"))
    assert "存单" in texts(question_subjects("大额存单2024年第3期的利率是多少？", kinds=ALL_KINDS))


def test_a_passage_must_name_one_of_the_questions_names():
    check = SubjectCheck()
    question = "北京华远置业有限公司的担保人有哪些风险？"
    assert {"北京", "华远"} <= set(texts(check.subjects(question)))
    guarantor = hit("担保人近一年新增逾期贷款1200万元。", "担保人风险排查_中关村科技融资担保.md")
    report = hit("北京华远置业有限公司成立于2009年。", "授信调查报告.md")
    assert check.allowed(question, [guarantor, report]) == [1]
    # a name in the file name counts; one name of several is enough
    assert check.allowed(question, [hit("担保人近一年新增逾期贷款1200万元。", "华远置业_担保人风险排查.md")]) == [0]
    # an English passage is not asked for a Chinese name
    assert check.allowed(question, [hit("The guarantor has overdue loans.", "guarantor.md")]) == [0]


def test_a_passage_without_the_identifier_is_not_about_the_subject():
    check = SubjectCheck()
    question = "大额存单2024年第3期的利率是多少？"
    assert check.allowed(question, [hit(OTHER_PRODUCT, "说明书.pdf"), hit(THE_ISSUE, "存款产品.csv")]) == [1]
    # the label counts: the issue named in the heading path
    assert check.allowed(question, [hit("年利率为2.15%。", "存款产品.pdf", ["大额存单", "2024年第3期"])]) == [0]
    # "13期" is not "3期"
    assert check.allowed(question, [hit("大额存单2024年第13期的年利率为2.0%。", "a.csv")]) == []
    # a question naming no identifier keeps every passage
    assert check.allowed("大额存单的起存金额是多少？", [hit(OTHER_PRODUCT, "a.pdf")]) == [0]


def test_the_extractive_answer_refuses_a_look_alike_it_would_have_quoted():
    answerer = ExtractiveAnswerer(TOKENIZER, min_confidence=0.001)
    refused = answerer.answer("大额存单2024年第3期的利率是多少？", [hit(OTHER_PRODUCT, "稳盈系列理财产品说明书.pdf")])
    assert not refused.found
    ungated = ExtractiveAnswerer(TOKENIZER, min_confidence=0.001, subject_check=SubjectCheck(kinds=()))
    assert ungated.answer("大额存单2024年第3期的利率是多少？", [hit(OTHER_PRODUCT, "稳盈系列理财产品说明书.pdf")]).found
    answered = answerer.answer("大额存单2024年第3期的利率是多少？", [hit(OTHER_PRODUCT, "说明书.pdf"),
                                                                  hit(THE_ISSUE, "存款产品.csv")])
    assert answered.found and "2.15%" in answered.answer
