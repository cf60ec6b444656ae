"""Fusion, the feature second stage and the extractive answer."""
import pytest

from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.index.vector_store import ScoredChunk
from zhiku.retrieval.extractive_answer import ExtractiveAnswerer
from zhiku.retrieval.feature_reranker import FeatureReranker, FeatureWeights
from zhiku.retrieval.fusion import fuse, weighted_rrf, weighted_score_fusion
from zhiku.retrieval.reranker import RerankCandidate
from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores


def _scored(*pairs):
    return [ScoredChunk(pid, score, {}) for pid, score in pairs]


def test_weighted_score_fusion_normalises_each_list():
    dense = _scored(("a", 0.9), ("b", 0.8), ("c", 0.7))
    sparse = _scored(("c", 30.0), ("d", 10.0))
    fused = weighted_score_fusion(dense, sparse, dense_weight=0.6)
    assert fused["a"] == pytest.approx(0.6)          # top of dense, absent from sparse
    assert fused["c"] == pytest.approx(0.4)          # bottom of dense, top of sparse
    assert fused["b"] == pytest.approx(0.3)
    assert fused["d"] == pytest.approx(0.0)
    assert set(fuse("rrf", dense, sparse, 0.9, 60)) == {"a", "b", "c", "d"}


def test_rrf_is_symmetric_at_half_weight():
    dense = _scored(("a", 0.9), ("b", 0.1))
    sparse = _scored(("b", 5.0), ("a", 1.0))
    fused = weighted_rrf(dense, sparse, 0.5, k=60)
    assert fused["a"] == pytest.approx(fused["b"])
    with pytest.raises(ValueError):
        fuse("nope", dense, sparse, 0.5, 60)


def test_feature_second_stage_prefers_the_passage_that_states_the_query():
    reranker = FeatureReranker(JiebaBm25Encoder(), FeatureWeights())
    query = "首趟RCEP班列的起点是哪里"
    exact = "首趟RCEP班列从南宁国际铁路港出发，起点为南宁。"
    scattered = "RCEP协定生效后，多个城市开通班列，首趟列车的时间尚未公布，起点城市众多。"
    f_exact, f_scattered = reranker.features(query, exact), reranker.features(query, scattered)
    assert f_exact["phrase"] > f_scattered["phrase"]
    assert f_exact["proximity"] > f_scattered["proximity"]
    scores = reranker.score(query, [RerankCandidate(scattered, 0.55, None, None),
                                    RerankCandidate(exact, 0.5, None, None)])
    assert scores[1] > scores[0]


def _hit(text, rank):
    citation = Citation("kb", f"d{rank}", f"doc{rank}.docx", 1, 1, ["制度"], 0, len(text), None)
    return SearchHit(f"c{rank}", text, text, 1.0 - rank / 10, StageScores(), citation)


def test_extractive_answer_cites_its_sentences_and_refuses_without_evidence():
    answerer = ExtractiveAnswerer(JiebaBm25Encoder())
    hits = [_hit("本办法适用于全行。个人住房贷款期限最长不超过三十年。", 0), _hit("信用卡年费首年免收。", 1)]
    answer = answerer.answer("个人住房贷款期限最长多少年", hits)
    assert answer.found and answer.answer == "个人住房贷款期限最长不超过三十年。[1]"
    assert answer.hits[0].citation.document_name == "doc0.docx"
    refused = answerer.answer("外汇期权保证金比例", hits)
    assert not refused.found and refused.hits == [] and "没有找到" in refused.answer


def test_extractive_answer_keeps_to_the_year_and_title_the_question_names():
    answerer = ExtractiveAnswerer(JiebaBm25Encoder())
    question = "2021年本行个人住房贷款余额是多少"
    last_year = _hit("2020年本行个人住房贷款余额为812亿元，同比增长6.1%。", 0)
    # Same topic, another year: sharing every other word does not make it an answer.
    assert not answerer.answer(question, [last_year]).found
    this_year = _hit("2021年本行个人住房贷款余额为905亿元，同比增长11.5%。", 1)
    answer = answerer.answer(question, [last_year, this_year])
    assert answer.found and "905亿元" in answer.answer and "812" not in answer.answer
    # A passage that names no year may still be the one (policies rarely repeat the year a user asks about).
    assert answerer.answer(question, [_hit("本行个人住房贷款余额为905亿元。", 0)]).found
    # "20210" is not the year 2021; full-width digits are the same digits.
    assert not answerer.answer(question, [_hit("2020年编号20210的个人住房贷款余额为812亿元。", 0)]).found
    assert answerer.answer("２０２１年本行个人住房贷款余额是多少", [this_year]).found
    # Another month, another article: a quantity with its unit must match when the passage states one.
    november = _hit("2022年11月欧元区通胀率为10.6%。", 0)
    assert not answerer.answer("欧元区2022年8月通胀率是多少", [november]).found
    assert answerer.answer("欧元区2022年8月通胀率是多少", [november, _hit("2022年8月欧元区通胀率为9.1%。", 1)]).found
    article = _hit("第5条 个人贷款期限最长不超过三十年。", 0)
    assert not answerer.answer("第3条规定的个人贷款期限最长多少年", [article]).found
    assert answerer.answer("第5条规定的个人贷款期限最长多少年", [article]).found
    # A title in 《》 must be the passage's when it names one; a number glued to a name ("Q3") is part of it.
    manual = _hit("《个人贷款管理办法》规定，贷款期限最长不超过三十年。", 0)
    assert not answerer.answer("《流动资金贷款管理办法》规定的贷款期限最长多少年", [manual]).found
    assert answerer.answer("《个人贷款管理办法》规定的贷款期限最长多少年", [manual]).found
    assert answerer.answer("Q3 revenue of the bank", [_hit("The bank's third-quarter revenue rose 5%.", 0)]).found


def test_extractive_answer_reads_the_section_a_sentence_stands_in():
    answerer = ExtractiveAnswerer(JiebaBm25Encoder())
    question = "稳盈180天理财产品的风险等级是什么？"
    text = "根据管理人的评级方法，本产品评为R2（中低风险）。"
    loose = SearchHit("c0", text, text, 1.0, StageScores(),
                      Citation("kb", "d0", "说明书.pdf", 1, 1, [], 0, len(text), None))
    assert not answerer.answer(question, [loose]).found  # alone, the sentence shares too few terms
    placed = SearchHit("c0", text, text, 1.0, StageScores(),
                       Citation("kb", "d0", "稳盈180天理财产品说明书.pdf", 1, 1, ["二、风险等级"], 0, len(text), None))
    assert answerer.answer(question, [placed]).answer == f"{text}[1]"
    # The section lends its terms only to sentences that share one of their own with the question.
    other = "本说明书为演示文件。"
    unrelated = SearchHit("c1", other, other, 1.0, StageScores(),
                          Citation("kb", "d0", "稳盈180天理财产品说明书.pdf", 1, 1, ["二、风险等级"], 0, len(other), None))
    assert not answerer.answer(question, [unrelated]).found
