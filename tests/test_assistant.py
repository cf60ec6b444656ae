"""The office assistant: conversations with ids, follow-ups rewritten with the history, streamed cited answers,
suggested questions, "not found", bounded memory; /answer's stream. SQLite and PostgreSQL (conftest)."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.credentials import admin_headers
from zhiku.core.conversation_store import ConversationStore
from zhiku.retrieval.extractive_answer import NOT_FOUND
from tests.conftest import llm_settings, make_runtime, wait_for_job

CARD_FAQ = """# 华通信用卡常见问题

## 年费
华通白金卡年费1,200元/年。当年消费满18万元或使用20,000积分，可减免次年年费。
华通金卡年费200元/年，当年刷卡满6次免次年年费。

## 挂失
信用卡丢失后请立即拨打客服热线95500-8挂失，挂失前48小时内的盗刷损失由本行承担。

## 分期
账单分期支持3、6、12、24期，手续费率每期0.6%。
"""


def events_of(response) -> list[tuple[str, dict]]:
    assert response.status_code == 200, response.read()
    assert response.headers["content-type"].startswith("text/event-stream")
    events, name = [], None
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[6:])))
    return events


def chat(client, message: str, **body) -> list[tuple[str, dict]]:
    with client.stream("POST", "/assistant/chat", json={"message": message, **body}) as response:
        return events_of(response)


@pytest.fixture
def card_kb(client):
    kb_id = client.post("/knowledge-bases", json={"name": "cards"}).json()["id"]
    item = client.post(f"/knowledge-bases/{kb_id}/documents",
                       files=[("files", ("信用卡FAQ.md", CARD_FAQ.encode(), "text/markdown"))]).json()["items"][0]
    assert wait_for_job(client, item["job_id"])["status"] == "done"
    return kb_id


def test_a_conversation_streams_cited_answers_and_rewrites_follow_ups(client, card_kb):
    first = chat(client, "白金卡的年费是多少？", knowledge_bases=["cards"])
    kinds = [kind for kind, _ in first]
    assert kinds[0] == "meta" and kinds[-1] == "done" and "delta" in kinds
    conversation_id = first[0][1]["conversation_id"]
    done = first[-1][1]
    assert done["answer"]["found"] and "1,200元" in done["answer"]["answer"]
    assert done["answer"]["citations"][0]["citation"]["document_name"] == "信用卡FAQ.md"
    assert "".join(d["text"] for k, d in first if k == "delta").strip() == done["answer"]["answer"]
    # Suggestions are only questions the knowledge base answers (this FAQ asks none itself and has no table;
    # tests/test_follow_up_rewriting.py has evidence that does).
    for suggestion in done["follow_ups"]:
        assert chat(client, suggestion, knowledge_bases=["cards"])[-1][1]["answer"]["found"], suggestion

    second = chat(client, "它怎么减免？", conversation_id=conversation_id, knowledge_bases=["cards"])
    meta = second[0][1]
    assert meta["conversation_id"] == conversation_id
    assert "白金卡" in meta["query"] and "减免" in meta["query"]  # the follow-up was made standalone
    assert "18万元" in second[-1][1]["answer"]["answer"]

    stored = client.get(f"/assistant/conversations/{conversation_id}").json()
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert stored["messages"][2]["rewritten_query"] == meta["query"]
    assert stored["messages"][3]["citations"][0]["document_name"] == "信用卡FAQ.md"
    assert [m["answer_mode"] for m in stored["messages"]] == [None, "extractive", None, "extractive"]
    assert stored["title"] == "白金卡的年费是多少？"
    assert any(c["id"] == conversation_id for c in client.get("/assistant/conversations").json())

    assert client.delete(f"/assistant/conversations/{conversation_id}").status_code == 204
    assert client.get(f"/assistant/conversations/{conversation_id}").status_code == 404


def test_a_question_outside_the_knowledge_base_is_answered_not_found(client, card_kb):
    done = chat(client, "外汇期权的保证金比例是多少？", knowledge_bases=["cards"])[-1][1]
    assert done["answer"]["found"] is False and done["answer"]["answer"] == NOT_FOUND
    assert done["answer"]["citations"] == [] and done["follow_ups"] == []


def test_bad_requests_are_refused_before_the_stream(client, card_kb):
    unknown = client.post("/assistant/chat", json={"message": "年费？", "conversation_id": "nope"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    no_llm = client.post("/assistant/chat", json={"message": "年费？", "mode": "llm"})
    assert no_llm.status_code == 422 and "ZHIKU_LLM_BASE_URL" in no_llm.json()["message"]
    assert client.post("/assistant/chat", json={"message": ""}).status_code == 422
    assert client.post("/assistant/chat", json={"message": "年费？", "knowledge_bases": ["missing"]}).status_code == 404


def test_answer_endpoint_streams_sentences_then_the_whole_answer(client, card_kb):
    with client.stream("POST", "/answer", json={"question": "信用卡丢了怎么办？", "stream": True}) as response:
        events = events_of(response)
    assert [k for k, _ in events][-1] == "done" and "95500-8" in events[-1][1]["answer"]
    plain = client.post("/answer", json={"question": "信用卡丢了怎么办？"}).json()
    assert plain["answer"] == events[-1][1]["answer"] and plain["mode"] == "extractive"


def test_memory_is_bounded_by_turns_and_characters(runtime):
    store: ConversationStore = runtime.conversations
    conversation = store.create(["kb"])
    for i in range(20):
        store.add_message(conversation.id, "user", f"问题{i}")
        store.add_message(conversation.id, "assistant", "答" * 500)
    turns = store.recent_turns(conversation.id, turns=6, max_chars=3000)
    assert [t.question for t in turns][-1] == "问题19" and len(turns) <= 6
    assert sum(len(t.question) + len(t.answer) for t in turns) <= 3000
    assert len(store.messages(conversation.id)) == 40  # everything is kept; only the prompt is bounded


def test_the_local_llm_streams_a_cited_chinese_answer(tmp_path, bolt_server, llm_server, shared_embedder,
                                                       shared_ocr_reader, shared_transcriber):
    from zhiku.api.app import create_app
    from zhiku.core.settings import Settings
    from tests.conftest import graph_settings

    settings = Settings(data_dir=tmp_path / "data", _env_file=None, **graph_settings(bolt_server),
                        **llm_settings(llm_server))
    runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    with TestClient(create_app(settings, runtime), headers=admin_headers(settings)) as client:
        kb_id = client.post("/knowledge-bases", json={"name": "cards"}).json()["id"]
        item = client.post(f"/knowledge-bases/{kb_id}/documents",
                           files=[("files", ("信用卡FAQ.md", CARD_FAQ.encode(), "text/markdown"))]).json()["items"][0]
        assert wait_for_job(client, item["job_id"])["status"] == "done"
        events = chat(client, "信用卡丢失后怎么挂失？", suggest_follow_ups=False)
        stored = client.get(f"/assistant/conversations/{events[0][1]['conversation_id']}").json()["messages"][-1]
    runtime.close()
    assert stored["answer_mode"] == "llm" and stored["model"] == llm_server.model  # kept for judging feedback
    assert events[0][1]["mode"] == "llm"
    answer = events[-1][1]["answer"]
    assert answer["found"] and answer["mode"] == "llm", answer
    assert "95500-8" in answer["answer"]
    cited = {n for s in answer["sentences"] for n in s["citations"]}
    assert cited and all(1 <= n <= len(answer["citations"]) for n in cited)
