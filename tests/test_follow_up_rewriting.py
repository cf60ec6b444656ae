"""Follow-ups: a subject switch is rewritten with the entity replaced; suggestions are questions the evidence
answers."""
from __future__ import annotations

import pytest

from zhiku.answer.follow_ups import FollowUpSuggester
from zhiku.answer.query_rewriter import QueryRewriter
from zhiku.core.conversation_store import Turn
from zhiku.evaluation.rewrite_eval import evaluate_rewriter, load_conversations
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.retrieval.extractive_answer import ExtractiveAnswerer
from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores

TOKENIZER = JiebaBm25Encoder()


def _turns(*questions):
    return [Turn(q, "") for q in questions]


@pytest.mark.parametrize("history,follow_up,expected", [
    (["华通白金卡的年费是多少？"], "那金卡呢？", "华通金卡的年费是多少？"),
    (["华通白金卡的年费是多少？", "那金卡呢？"], "青春卡呢？", "华通青春卡的年费是多少？"),
    (["个人客户跨境汇款的手续费是多少？"], "那对公客户呢？", "对公客户跨境汇款的手续费是多少？"),
    (["What is the maximum loan amount for individuals?"], "And for small businesses?",
     "What is the maximum loan amount for small businesses?"),
    (["What is the annual fee of the platinum card?"], "What about the gold card?",
     "What is the annual fee of the gold card?"),
])
def test_a_subject_switch_replaces_the_entity(history, follow_up, expected):
    assert QueryRewriter(TOKENIZER).rewrite(follow_up, _turns(*history)) == expected


def test_a_standalone_question_is_left_alone_and_a_pronoun_gets_its_subject():
    rewriter = QueryRewriter(TOKENIZER)
    assert rewriter.rewrite("信用卡还款有宽限期吗？", _turns("稳盈180天的风险等级是什么？")) == "信用卡还款有宽限期吗？"
    assert rewriter.rewrite("它能提前支取吗？", _turns("大额存单的起存金额是多少？")) == "大额存单能提前支取吗？"


def test_the_labelled_conversations_are_rewritten():
    results = evaluate_rewriter(QueryRewriter(TOKENIZER), load_conversations())
    assert len(results) >= 40 and {r.lang for r in results} == {"zh", "en"}
    assert sum(r.correct for r in results) / len(results) >= 0.9, [r for r in results if not r.correct]


def test_suggested_follow_ups_are_questions_the_evidence_answers(shared_embedder):
    faq = ("**Q14：年费是多少？可以减免吗？** A：华通金卡年费200元/年，首年免年费，当年刷卡满6次免次年年费。"
           "**Q15：销卡后已收取的年费会退吗？** A：已收取的年费不予退还。")
    row = "住房类型: 二套房 | 最高贷款成数: 70% | 最低首付比例: 30% | 最长期限: 25年"
    hits = [SearchHit("c0", faq, faq, 1.0, StageScores(),
                      Citation("kb", "d0", "信用卡常见问题.md", None, None, ["五、年费"], 0, len(faq), None)),
            SearchHit("c1", row, row, 0.9, StageScores(),
                      Citation("kb", "d1", "个人住房贷款管理办法.docx", None, None, ["表1"], 0, len(row), None))]
    answerer = ExtractiveAnswerer(TOKENIZER, shared_embedder)
    suggestions = FollowUpSuggester(answerer=answerer).suggest("华通金卡的年费怎样才能免？", hits)
    assert suggestions, "the evidence answers further questions"
    for question in suggestions:
        assert question.endswith(("？", "?")) and answerer.answer(question, hits).found, question
    assert FollowUpSuggester().suggest("华通金卡的年费怎样才能免？", hits) == []  # nothing to check them with
