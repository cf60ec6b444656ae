"""Answer-sentence selection and answerability (retrieval/answer_selector.py with its fitted weights):
the sentence that answers first, "not found" when none does, table cells, normalised terms."""
from __future__ import annotations

import pytest

from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.retrieval.answer_selector import SelectorWeights, evidence_sentences
from zhiku.retrieval.answer_types import question_kinds, sentence_kinds
from zhiku.retrieval.extractive_answer import ExtractiveAnswerer, table_cells
from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores
from zhiku.retrieval.term_normaliser import TermNormaliser, chinese_number, default_normaliser

TOKENIZER = JiebaBm25Encoder()
ROWS = ["住房类型: 首套房 | 最高贷款成数: 80% | 最低首付比例: 20% | 最长期限: 30年 | 利率定价: LPR-20BP",
        "住房类型: 二套房 | 最高贷款成数: 70% | 最低首付比例: 30% | 最长期限: 25年 | 利率定价: LPR+30BP"]


def _hit(text, rank=0, name="个人住房贷款管理办法.docx", headings=("第三章 贷款额度、期限与利率",), parent=None):
    citation = Citation("kb", f"d{rank}", name, 1, 1, list(headings), 0, len(text), None)
    return SearchHit(f"c{rank}", text, parent, 1.0 - rank / 10, StageScores(), citation)


def test_the_normaliser_folds_spellings_of_the_same_thing():
    fold = default_normaliser().normalise
    assert fold("第二套房") == fold("二套房") == fold("2套房")
    assert fold("三个月") == fold("3个月") and fold("２０２５年") == "2025年"
    assert fold("最多能贷几成") .endswith("贷款成数") and "贷款成数" in fold("最高贷款成数")
    assert fold("最高贷款成数") == "最高贷款成数"  # a canonical term is not rewritten inside itself
    assert fold("七成") == "70%" and fold("成本") == "成本"
    assert fold("the mortgage rates") == "the 住房贷款 利率" and fold("generate") == "generate"
    assert chinese_number("二十五") == 25 and chinese_number("一百零八") == 108 and chinese_number("二〇二五") == 2025
    custom = TermNormaliser({"车贷": "汽车贷款", "汽车贷款": "汽车贷款"})
    assert custom.normalise("车贷几年") == "汽车贷款几年"


def test_question_kinds_and_what_a_sentence_holds():
    fold = default_normaliser().normalise
    assert "rate" in question_kinds(fold("最多能贷几成？"))
    assert "phone" in question_kinds(fold("Which phone number do I call?"))
    assert "amount" in question_kinds(fold("租一个小保险箱一年多少钱？"))
    assert "phone" in sentence_kinds("请拨打400-699-5588挂失") and "rate" in sentence_kinds("最高贷款成数: 70%")
    assert "rate" not in sentence_kinds(fold("二套房贷款须审慎审批。"))
    # English cues are whole words: "corporate" does not ask for a rate, "determine" not for a term.
    assert question_kinds(fold("What is the account management fee for a corporate account?")) == {"amount", "rate"}
    assert "duration" not in question_kinds(fold("Who will determine the limit?"))
    # A named fee asks for an amount or a rate (it is charged as either); a fee rate for a rate; spending (消费) for
    # neither.
    assert question_kinds(fold("托管费是多少？")) == {"amount", "rate"} and question_kinds(fold("管理费率是多少？")) == {"rate"}
    assert not question_kinds(fold("信用卡消费积分怎么算？"))


def test_a_table_row_is_quoted_with_the_cell_asked_for():
    question = default_normaliser().normalise("客户想买第二套房，最多能贷几成？")
    assert table_cells(question, ROWS[1]) == "住房类型: 二套房 | 最高贷款成数: 70%"
    # No column matches: the whole row.
    assert table_cells(default_normaliser().normalise("二套房有什么规定？"), ROWS[1]) == ROWS[1]
    assert table_cells(question, "普通句子。") == "普通句子。"


@pytest.fixture(scope="module")
def answerer(shared_embedder):
    return ExtractiveAnswerer(TOKENIZER, shared_embedder)


def test_the_answering_sentence_comes_first_and_the_row_asked_about_wins(answerer):
    hits = [_hit("第十一条　贷款额度按购房合同价格与评估价格孰低者乘以最高贷款成数确定。具体标准见表1。", 0),
            _hit(ROWS[0], 1), _hit(ROWS[1], 2)]
    answer = answerer.answer("客户想买第二套房，最多能贷几成？", hits)
    assert answer.found and answer.sentences[0].text.startswith("住房类型: 二套房"), answer.answer
    assert "70%" in answer.sentences[0].text and "80%" not in answer.sentences[0].text


def test_evidence_about_another_subject_is_not_an_answer(answerer):
    hits = [_hit("第十二条　贷款期限最长不超过30年，且贷款到期日借款人年龄不超过70周岁。", 0), _hit(ROWS[0], 1)]
    assert not answerer.answer("我们行的汽车贷款最长可以贷几年？", hits).found
    assert answerer.answer("个人住房贷款最长可以贷几年？", hits).found
    assert not answerer.answer("外汇期权保证金比例是多少？", hits).found


def test_no_duplicate_sentences_and_no_cut_fragments(answerer):
    row = "产品名称: 稳盈180天 | 起购金额: 1万元 | 赎回费: 持有未满180天的份额收取0.5%"
    hits = [_hit(row, 0, "稳盈系列理财产品说明书.pdf", ["三、费用"]), _hit(row, 1, "稳盈系列理财产品说明书.pdf", ["三、费用"])]
    answer = answerer.answer("稳盈180天的起购金额是多少？", hits)
    assert answer.found and "1万元" in answer.sentences[0].text and len(answer.sentences) == 1, answer.answer
    # A chunk that starts or ends mid-sentence is completed from its parent section.
    parent = "本产品按日计提管理费。持有未满180天的份额赎回时收取0.5%的赎回费，持有满180天的免收。"
    cut = _hit("持有未满180天的份", 0, parent=parent)
    assert evidence_sentences(cut) == ["持有未满180天的份额赎回时收取0.5%的赎回费，持有满180天的免收。"]


def test_the_question_constraints_still_rule_out_another_year(answerer):
    question = "2021年本行个人住房贷款余额是多少"
    last_year = _hit("2020年本行个人住房贷款余额为812亿元，同比增长6.1%。", 0)
    assert not answerer.answer(question, [last_year]).found
    answer = answerer.answer(question, [last_year, _hit("2021年本行个人住房贷款余额为905亿元，同比增长11.5%。", 1)])
    assert answer.found and "905亿元" in answer.answer and "812" not in answer.answer


class _UnreachableEmbedder:
    def embed_passages(self, texts):
        raise ConnectionError("embedding endpoint unreachable")

    def embed_query(self, text):
        raise ConnectionError("embedding endpoint unreachable")


def test_an_embedding_failure_costs_the_dense_features_not_the_answer():
    """The endpoint down: the answer is the one without an embedder (similarities at their training means)."""
    hits = [_hit("第十二条　个人住房贷款期限最长不超过30年，且贷款到期日借款人年龄不超过70周岁。", 0),
            _hit("信用卡丢失请立即致电400-699-5588挂失，挂失手续费全免。", 1, "信用卡常见问题.md", ["六、挂失"])]
    question = "个人住房贷款期限最长不超过多少年？"
    failing = ExtractiveAnswerer(TOKENIZER, _UnreachableEmbedder()).answer(question, hits)
    assert failing == ExtractiveAnswerer(TOKENIZER).answer(question, hits)
    assert failing.found and "30年" in failing.answer


def test_the_weights_file_is_small_and_states_where_it_was_fitted():
    weights = SelectorWeights.load()
    assert "shared/train" in weights.meta["fitted_on"] and 0 < weights.threshold < 1
    assert weights.prefilter is not None and weights.meta["held_out_curve"]


FAQ = ("华通金卡年费200元/年，首年免年费。信用卡到期还款日后3天内为宽限期。"
       "信用卡丢失请立即致电400-699-5588挂失，挂失手续费全免。账单日为每月5日。")
POLICY = ("Passwords for standard accounts must be at least 12 characters. Accounts are locked after 5 consecutive "
          "failed login attempts. Staff must report suspected incidents within 2 hours of discovery.")


def test_a_question_in_another_language_is_answered_by_meaning_and_answer_kind(answerer):
    """English about a Chinese passage and the reverse: the script-blind model scores such sentences (terms
    cannot match across scripts); the sentence holding the kind asked for comes first, cited."""
    assert SelectorWeights.load().cross_script is not None
    faq = _hit(FAQ, 0, "信用卡常见问题.md", ["挂失与补卡"])
    answer = answerer.answer("Which phone number do I call to report a lost credit card?", [faq])
    assert answer.found and "400-699-5588" in answer.sentences[0].text, answer.answer
    assert answer.sentences[0].citation == 1 and answer.hits[0].chunk_id == faq.chunk_id
    policy = _hit(POLICY, 0, "IT_Security_Policy.html", ["Access control"])
    answer = answerer.answer("账户连续输错几次密码会被锁定？", [policy])
    assert answer.found and "5 consecutive failed login attempts" in answer.sentences[0].text, answer.answer


def test_without_similarities_a_sentence_in_another_script_is_not_scored_by_the_blind_model():
    """No embedder: only the answer kind would speak for a cross-script sentence, so the blind model is not used
    (the answer is the one of weights without it)."""
    import dataclasses

    faq = _hit(FAQ, 0, "信用卡常见问题.md", ["挂失与补卡"])
    question = "Which phone number do I call to report a lost credit card?"
    without_blind = dataclasses.replace(SelectorWeights.load(), cross_script=None)
    assert ExtractiveAnswerer(TOKENIZER).answer(question, [faq]) == \
        ExtractiveAnswerer(TOKENIZER, weights=without_blind).answer(question, [faq])


def test_a_chinese_question_naming_something_in_latin_letters_is_not_cross_language(answerer):
    """"El Torito由谁主导设计？" has more Latin letters than Chinese characters but is a Chinese question: its
    Chinese evidence is scored by the full model (terms match), not the script-blind one."""
    import dataclasses

    from zhiku.retrieval.script import majority_script, majority_script_by_words

    question = "El Torito由谁主导设计？"
    assert majority_script(question) == "latin" and majority_script_by_words(question) == "cjk"
    assert majority_script_by_words("Which phone number do I call to report a lost credit card?") == "latin"
    hit = _hit("El Torito可开机光碟规格是ISO 9660光碟规格的扩充。它由IBM的Stan Merkin和Phoenix的Curtis Stevens"
               "主导设计，1995年1月发布。", 0, "El Torito.md", ["规格"])
    without_blind = dataclasses.replace(SelectorWeights.load(), cross_script=None)
    assert answerer.answer(question, [hit]) == \
        ExtractiveAnswerer(TOKENIZER, answerer.selector.embedder, weights=without_blind).answer(question, [hit])


class _Counting:
    """The real embedder, counting the passages (sentences) it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.embedded = inner, 0

    def embed_passages(self, texts):
        self.embedded += len(texts)
        return self.inner.embed_passages(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def test_a_question_in_another_language_embeds_no_more_sentences_than_one_in_its_own(shared_embedder):
    """A first answer waits for its evidence sentences to be embedded: sentences in another language than the
    question are chosen by the language prefilter (answer kind, digits, place — what they have before they are
    embedded), as many as a same-language question embeds, not every one in passage order (up to 24 before)."""
    weights = SelectorWeights.load()
    assert weights.language_prefilter is not None
    faq = _hit(FAQ, 0, "信用卡常见问题.md", ["挂失与补卡"])
    rules = _hit("信用卡申请需年满18周岁。申请材料包括身份证和收入证明。审批时间一般为7个工作日。"
                 "附属卡持卡人须年满16周岁。积分有效期为两年。境外消费按当日汇率结算。"
                 "分期付款手续费按期收取。最低还款额为账单金额的10%。", 1, "信用卡常见问题.md", ["申请与用卡"])
    counting = _Counting(shared_embedder)
    answer = ExtractiveAnswerer(TOKENIZER, counting).answer(
        "Which phone number do I call to report a lost credit card?", [faq, rules])
    assert answer.found and "400-699-5588" in answer.sentences[0].text, answer.answer
    assert counting.embedded <= 8


def test_a_line_of_its_own_is_whole_and_only_a_sentence_cut_mid_line_is_a_fragment():
    # A notice's field lines end without a full stop; read as cut fragments, the terms-only prefilter never let
    # "Start: 22:00 …" be scored for "When does the maintenance window start?".
    from zhiku.retrieval.answer_selector import AnswerSelector

    fields = _hit("Start: 22:00 on Saturday, 15 March 2025\nEnd: 04:00 on Sunday, 16 March 2025", 0,
                  name="Notice.eml", headings=("Mobile Banking upgrade", "MAINTENANCE WINDOW"))
    cut = _hit("贷款期限最长不超过30年。持有未满180天的份", 1)
    scored = {s.text: s.features for s in AnswerSelector(TOKENIZER, None).score(
        "When does the maintenance window start?", [fields, cut])}
    assert scored["Start: 22:00 on Saturday, 15 March 2025"]["unterminated"] == 0.0
    assert scored["持有未满180天的份"]["unterminated"] == 1.0
    assert scored["Start: 22:00 on Saturday, 15 March 2025"]["term_cov_with_label"] == 1.0


# The demo's IT security policy as retrieval gives it for the password question (demo/bank_kb/IT_Security_Policy.html,
# the mobile banking notice): each hit's text, its section (parent) and the entity the graph reached it from.
_STANDARD = ("Passwords must be at least 12 characters long.\nPasswords must contain at least three of the following four "
             "character types: uppercase letters, lowercase letters, digits and special characters.\nPasswords must be "
             "changed every 90 days. The last 10 passwords may not be reused.\nAccounts are locked for 30 minutes after "
             "5 consecutive failed login attempts.\nPasswords must not contain the user name, employee number, date of "
             "birth or the word \"HCB\".")
_NEVER_SHARE = ("Never share passwords, write them down, or send them by email or instant message. IT staff will never "
                "ask for your password.")
_PRIVILEGED = ("Privileged (administrator) passwords must be at least 16 characters long and changed every 60 days.\n"
               "Privileged credentials are stored in the HCB Privileged Access Vault and checked out per session; every "
               "session is recorded.\nService account passwords must be at least 24 characters, randomly generated and "
               "rotated every 180 days.")
_MFA = ("MFA is mandatory for:\nAll remote access to the HCB network (VPN and virtual desktop).\nAll privileged accounts, "
        "including database and cloud console administrators.\nAccess to the core banking system, the payment gateway "
        "and the SWIFT environment.\nWebmail and Microsoft 365 access from outside the HCB network.\nApproved second "
        "factors are the HCB Authenticator app (push notification or 6-digit TOTP code) and FIDO2 hardware security "
        "keys.")
_SMS = ("SMS one-time passwords may be used only as a temporary fallback for up to 7 days, with Service Desk approval. "
        "MFA sessions expire after 12 hours.")
_LEVELS = ("Level: L2 | Label: Internal | Examples: Internal policies, organisation charts, training material | Handling "
           "Requirements: HCB staff only; must not be posted on public websites or social media.\nLevel: L3 | Label: "
           "Confidential | Examples: Customer personal information, account balances, loan files, audit reports | "
           "Handling Requirements: Need-to-know access; encrypted when sent outside HCB; no personal email or cloud "
           "storage.")
_CLASSIFICATION = ("All information must be labelled by its owner with one of the four classification levels below and "
                   "handled accordingly.\nLevel: L1 | Label: Public | Examples: Published interest rates, branch "
                   "addresses, marketing brochures | Handling Requirements: No restrictions on disclosure; publication "
                   "requires Corporate Communications approval.\n" + _LEVELS + "\nLevel: L4 | Label: Restricted | "
                   "Examples: Card numbers (PAN) and PINs, encryption keys, authentication credentials, board papers | "
                   "Handling Requirements: Named individuals only; AES-256 encryption at rest and in transit; printing "
                   "and USB copying prohibited.\nWhen in doubt, treat information as Confidential (L3) until the data "
                   "owner confirms its classification.")
_NOTICE = ("Face recognition login\nPayee name check before every transfer\nReal-time alerts for transfers above CNY "
           "50,000\nCustomers must update to version 6.0 by 30 April 2025; versions 5.x will stop working after that "
           "date. Minimum supported systems: iOS 15 and Android 9.")
_SCOPE = ("This policy defines the minimum security requirements for all HCB information systems. It applies to all "
          "employees, contractors, outsourced service providers and interns who access HCB systems, networks or data, "
          "whether on HCB premises or remotely. Violations may lead to disciplinary action up to and including "
          "termination.")
_POLICY = ["Information Technology Security Policy"]
PASSWORD_EVIDENCE = [  # text, parent, file, heading path, reached from
    (_STANDARD, _STANDARD + "\n" + _NEVER_SHARE, "IT_Security_Policy.html",
     _POLICY + ["2. Password Requirements", "2.1 Standard User Accounts"], ("Standard User Accounts",)),
    (_NEVER_SHARE, _STANDARD + "\n" + _NEVER_SHARE, "IT_Security_Policy.html",
     _POLICY + ["2. Password Requirements", "2.1 Standard User Accounts"], ()),
    (_PRIVILEGED, _PRIVILEGED, "IT_Security_Policy.html",
     _POLICY + ["2. Password Requirements", "2.2 Privileged and Service Accounts"], ()),
    (_SMS, _MFA + " " + _SMS, "IT_Security_Policy.html", _POLICY + ["3. Multi-Factor Authentication (MFA)"], ()),
    (_MFA, _MFA + " " + _SMS, "IT_Security_Policy.html", _POLICY + ["3. Multi-Factor Authentication (MFA)"],
     ("Standard User Accounts",)),
    (_LEVELS, _CLASSIFICATION, "IT_Security_Policy.html", _POLICY + ["4. Data Classification"],
     ("Standard User Accounts",)),
    (_NOTICE, _NOTICE, "Notice_Mobile_Banking_Upgrade.eml",
     ["[IT Notice] Mobile Banking upgrade, Sat 15 Mar 2025 22:00-04:00", "WHAT IS NEW IN VERSION 6.0"], ()),
    (_SCOPE, _SCOPE, "IT_Security_Policy.html", _POLICY + ["1. Purpose and Scope"], ()),
]


def test_the_first_hit_is_read_whole_whatever_the_other_passages_repeat(answerer):
    """Terms alone miss the answering sentence ("password length" against "Passwords must be at least 12
    characters long."): every sentence of the first hit is embedded and scored. Before, the terms-only prefilter
    kept it among the eight embedded sentences only when another passage repeated its words — with this evidence
    (graph gate `hop`) it did not, and the answer quoted the character-types rule instead."""
    hits = []
    for rank, (text, parent, name, headings, reached_from) in enumerate(PASSWORD_EVIDENCE):
        hit = _hit(text, rank, name, headings, parent)
        hit.reached_from = reached_from
        hits.append(hit)
    answer = answerer.answer("What is the minimum password length for standard user accounts?", hits)
    assert answer.found and "at least 12 characters" in answer.sentences[0].text, answer.answer
