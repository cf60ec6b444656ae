"""Corroboration: does another passage of the evidence echo what a sentence adds to the question
(retrieval/answer_selector.py), and the training cases that teach it (evaluation/answer_selector_fit.py)."""
from __future__ import annotations

import pytest

from zhiku.core.settings import get_settings
from zhiku.evaluation.answer_selector_fit import TrainQuestion, TrainSet, build_cases
from zhiku.index.sparse_encoder import build_sparse_encoder
from zhiku.retrieval.answer_selector import FEATURES, AnswerSelector
from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores


@pytest.fixture(scope="module")
def tokenizer():
    return build_sparse_encoder(get_settings().sparse_encoder)


def _hit(i: int, text: str) -> SearchHit:
    return SearchHit(f"p{i}#0", text, None, 1.0 - i / 100, StageScores(),
                     Citation("t", f"p{i}", "", None, None, [], 0, len(text), None), {})


def test_what_another_passage_also_states_is_corroborated(tokenizer):
    assert "corroborated_share" in FEATURES and "corroborated_best" in FEATURES
    hits = [_hit(0, "北京冬奥会开幕在即。澳大利亚将派出44名运动员参赛。"),
            _hit(1, "他还公布了澳大利亚运动员参加北京冬奥会的情况。澳大利亚有44名运动员参加10个项目。"),
            _hit(2, "德约科维奇夺得冠军。")]
    scored = {s.text: s.features for s in AnswerSelector(tokenizer, None).score("北京冬奥会澳大利亚运动员数量", hits)}
    # The figure the answer adds (44名) is in another passage too; the sentence that only restates the question
    # adds nothing to echo, and the unrelated one is echoed nowhere.
    assert scored["澳大利亚将派出44名运动员参赛。"]["corroborated_share"] > 0.3
    assert scored["澳大利亚有44名运动员参加10个项目。"]["corroborated_best"] > 0.3
    assert scored["他还公布了澳大利亚运动员参加北京冬奥会的情况。"]["corroborated_share"] == 0.0
    assert scored["德约科维奇夺得冠军。"]["corroborated_share"] == 0.0


def test_a_verbatim_copy_is_not_a_second_source(tokenizer):
    echo = "在《相逢时节》中，梁冠华再一次证明了自己的实力。"
    hits = [_hit(0, echo + "观众很喜欢。"), _hit(1, "导演说：" + echo), _hit(2, "《相逢时节》梁冠华饰演张立新。")]
    scored = {(s.hit_rank, s.text): s.features for s in AnswerSelector(tokenizer, None).score(
        "梁冠华在《相逢时节》中演的谁", hits)}
    assert scored[(0, echo)]["corroborated_share"] == 0.0


def test_an_answerable_training_case_holds_the_articles_other_paragraphs_that_state_the_answer(tokenizer):
    paragraphs = ["台北101由李祖原设计，2004年落成。", "台北101的设计者李祖原也设计了其他大楼。", "台北101位于信义区。",
                  "高雄85大楼由李祖原设计。", "台北车站是交通枢纽。", "台北市政府在信义区。", "台北的捷运很方便。",
                  "台北故宫收藏文物。"]
    titles = ["台北101", "台北101", "台北101", "高雄", "台北车站", "台北市", "台北捷运", "故宫"]
    question = TrainQuestion("台北101由谁设计？", ["李祖原"], 0, "t")
    train = TrainSet("t", paragraphs, titles, [question])
    with_echo = [c for c in build_cases([train], tokenizer.tokenize, 1, hard=False, corroborating=2) if c.answerable]
    without = [c for c in build_cases([train], tokenizer.tokenize, 1, hard=False, corroborating=0) if c.answerable]
    ids = lambda case: {h.citation.document_id for h in case.hits}  # noqa: E731
    assert "t:1" in ids(with_echo[0]) and "t:1" not in ids(without[0])
    assert len(with_echo[0].hits) == len(without[0].hits) == 5
