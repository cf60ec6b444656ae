"""The demo knowledge base, loaded the way `scripts/run.sh` loads it, answers its example questions,
including English questions about Chinese documents (cross-language retrieval)."""
import json
from pathlib import Path

import pytest

from zhiku.api.demo_loader import DEMO_KB_NAME, load_demo_kb
from zhiku.api.knowledge_service import KnowledgeService

ALL_QUESTIONS = [json.loads(line) for line in
                 (Path(__file__).parent.parent / "demo" / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
# The first 18 examples (without a "kind"): retrieval must find each one's passage in the top five.
QUESTIONS = [q for q in ALL_QUESTIONS if "kind" not in q]
NOT_ANSWERED = [q for q in ALL_QUESTIONS if q.get("expect") == "not_found"]


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory, shared_embedder):
    from zhiku.api.runtime import Runtime
    from zhiku.core.settings import Settings
    from zhiku.index.factory import build_caching_embedder

    settings = Settings(data_dir=tmp_path_factory.mktemp("demo"), _env_file=None)
    runtime = Runtime(settings)
    runtime.__dict__["embedder"] = build_caching_embedder(settings, shared_embedder)
    runtime.start()
    service = KnowledgeService(runtime)
    load_demo_kb(service)
    assert runtime.jobs.wait_idle(timeout=600)
    yield service
    runtime.close()


def test_every_demo_file_is_ingested(demo_service):
    documents = demo_service.rt.metadata.list_documents(demo_service.rt.metadata.get_kb(DEMO_KB_NAME).id)
    assert len(documents) == len(list((Path(__file__).parent.parent / "demo" / "bank_kb").iterdir()))
    assert all(d.status == "done" and d.chunk_count > 0 for d in documents), [(d.name, d.error) for d in documents]
    load_demo_kb(demo_service)  # a restart loads it again: nothing new is queued
    assert demo_service.rt.jobs.wait_idle(timeout=5)
    assert len(demo_service.rt.metadata.list_documents(documents[0].kb_id)) == len(documents)


@pytest.mark.parametrize("item", QUESTIONS, ids=[q["question"][:24] for q in QUESTIONS])
def test_demo_question_finds_its_answer_in_the_top_five(demo_service, item):
    hits = demo_service.search(item["question"], [DEMO_KB_NAME], top_k=5)
    assert any(h.citation.document_name == item["file"] and item["answer_contains"] in (h.parent_text or h.text)
               for h in hits), [(h.citation.label(), h.text[:80]) for h in hits]


# The offline (extractive) answer quotes the expected text for these example questions (`zhiku eval
# demo-answers`, docs/benchmarks.md), incl. two English questions about Chinese documents (the script-blind
# model of the answer selector). Not yet: the maintenance window (an "advise customers … before 17:00" sentence
# outranks it), the Wenying fee (English about the Chinese PDF's fee table) and the graph question about the
# guarantor's risks.
OFFLINE_ANSWERED = [q for q in QUESTIONS if q["question"] in {
    "房贷申请人的房贷收入比上限是多少？", "个人住房贷款未满一年提前还款要收违约金吗？", "信用卡还款有宽限期吗？",
    "华通金卡的年费怎样才能免？", "稳盈180天理财产品的风险等级是什么？", "自然人客户跨境转账达到多少需要做大额交易报告？",
    "大额存单的起存金额是多少？", "在其他银行的ATM上取现收手续费吗？",
    "What is the minimum password length for standard user accounts?",
    "How soon must staff report a suspected security incident?",
    "What does HCB charge for an outward international SWIFT remittance?",
    "What is the maximum loan term for a second-home mortgage?",
    "What is the Layering stage of money laundering?", "Which phone number do I call to report a lost credit card?"}] + [
    # the credit and research demos: a figure in a statement table, a bond term in a research report
    {"question": "2025年江南恒泰的营业收入是多少？", "answer_contains": "58736.42"},
    {"question": "江南恒泰2024年的净利润是多少？", "answer_contains": "3496.42"},
    {"question": "25沧港01的票面利率是多少？", "answer_contains": "2.45%"},
]
# Questions the demo documents do not answer although they look as if they did: "not found".
OFFLINE_REFUSED = [q for q in NOT_ANSWERED if q["question"] in {
    "我们行的汽车贷款最长可以贷几年？", "What is the interest rate on a car loan?", "大额存单2024年第3期的利率是多少？"}]


@pytest.mark.parametrize("item", OFFLINE_REFUSED, ids=[q["question"][:24] for q in OFFLINE_REFUSED])
def test_offline_answer_refuses_what_the_documents_do_not_say(demo_service, item):
    answer = demo_service.ask(item["question"], [DEMO_KB_NAME], mode="extractive")
    assert not answer.found, answer.text


@pytest.mark.parametrize("item", OFFLINE_ANSWERED, ids=[q["question"][:24] for q in OFFLINE_ANSWERED])
def test_offline_answer_quotes_the_answer(demo_service, item):
    answer = demo_service.ask(item["question"], [DEMO_KB_NAME], mode="extractive")
    assert answer.found and item["answer_contains"] in answer.text, answer.text


def test_the_credit_materials_are_for_the_credit_group_only(demo_service):
    """Issue #11's walk-through: the teller gets nothing from the borrower's materials, the credit officer does."""
    from zhiku.core.access import Caller, CallerKind

    teller = Caller("user:teller", CallerKind.USER, "柜员", groups=frozenset({"tellers"}))
    officer = Caller("user:officer", CallerKind.USER, "信贷员", groups=frozenset({"credit"}))
    question = "2025年江南恒泰的营业收入是多少？"
    seen = demo_service.search(question, [DEMO_KB_NAME], top_k=20, caller=teller)
    assert seen and not any(h.citation.document_name.startswith("江南恒泰") for h in seen)
    assert "58736.42" not in demo_service.ask(question, [DEMO_KB_NAME], mode="extractive", caller=teller).text
    assert "58736.42" in demo_service.ask(question, [DEMO_KB_NAME], mode="extractive", caller=officer).text
    scope = demo_service.read_scope([DEMO_KB_NAME], caller=teller)
    names = [d.name for d in demo_service.rt.metadata.list_documents(scope.kb_ids[0], scope)]
    assert names and not any(n.startswith(("江南恒泰", "授信调查报告", "担保人风险排查")) for n in names)
