"""The OpenAI-compatible API: /v1/models and /v1/chat/completions over a real knowledge base.

The real embedder, Qdrant engine and Bolt server; the real OpenAI Python SDK against a real uvicorn server;
one test against the real local LLM. Runs on SQLite and PostgreSQL (see conftest.database_url), except the
LLM test, which runs once (SQLite) to keep the slow model's calls to one.
"""
from __future__ import annotations

import json
import re

import pytest

from tests.credentials import admin_headers, create_key
from zhiku.core.settings import Settings
from tests.live_server import live_server
from tests.conftest import graph_settings, llm_settings, make_runtime, wait_for_job

KB = "信用卡"
DOCUMENT = "信用卡产品手册.md"
MANUAL = """# 信用卡产品手册

## 白金信用卡

白金信用卡面向年收入二十万元以上的客户，可通过手机银行或任一网点申请，审批一般需要五个工作日。
白金信用卡的年费为每年一千二百元，当年刷卡满十二次可免次年年费。

## 青春信用卡

青春信用卡面向十八至三十岁的在校学生和职场新人，只能通过手机银行申请。
青春信用卡终身免年费，信用额度最高为一万元。

## 境外用卡

境外消费免收货币转换费，境外取现每笔收取交易金额百分之三的手续费。
"""
QUESTION = "白金信用卡的年费是多少？"
MARKER = re.compile(r"\[(\d+)\]")


def _knowledge_base(client, name: str = KB) -> str:
    response = client.post("/knowledge-bases", json={"name": name, "language": "zh"})
    assert response.status_code == 201, response.text
    kb_id = response.json()["id"]
    upload = client.post(f"/knowledge-bases/{kb_id}/documents",
                         files=[("files", (DOCUMENT, MANUAL.encode(), "text/markdown"))])
    assert upload.status_code == 202, upload.text
    assert wait_for_job(client, upload.json()["items"][0]["job_id"])["status"] == "done"
    return kb_id


def _ask(client, messages, **extra):
    return client.post("/v1/chat/completions", json={"model": KB, "messages": messages, **extra})


def _user(text: str) -> dict:
    return {"role": "user", "content": text}


def _parse_sse(raw: str) -> list[dict | str]:
    """OpenAI's stream format, strictly: `data: <json>` events, blank-line separated, no event names, the
    last one `[DONE]`."""
    assert raw.endswith("\n\n"), raw[-200:]
    events: list[dict | str] = []
    for block in raw[:-2].split("\n\n"):
        lines = block.split("\n")
        assert len(lines) == 1 and lines[0].startswith("data: "), block
        payload = lines[0][len("data: "):]
        events.append(payload if payload == "[DONE]" else json.loads(payload))
    assert events[-1] == "[DONE]" and "[DONE]" not in events[:-1]
    return events


def _sources(content: str) -> dict[int, str]:
    """The sources block at the end of the content: {n: label}."""
    head, _, block = content.rpartition("\n\n来源：\n")
    assert head, content
    lines = block.split("\n")
    return {int(MARKER.match(line).group(1)): line.split("] ", 1)[1] for line in lines}


def _check_citations(content: str, citations: list[dict]) -> None:
    """Every [n] in the answer names a citation, and the sources block lists each citation's label."""
    answer = content.rpartition("\n\n来源：\n")[0]
    numbers = {int(n) for n in MARKER.findall(answer)}
    assert numbers and numbers <= set(range(1, len(citations) + 1)), (content, len(citations))
    assert _sources(content) == {n: c["citation"]["label"] for n, c in enumerate(citations, start=1)}


def test_models_are_the_knowledge_bases(client):
    kb_id = _knowledge_base(client)
    models = client.get("/v1/models")
    assert models.status_code == 200, models.text
    body = models.json()
    assert body["object"] == "list"
    [model] = [m for m in body["data"] if m["id"] == KB]
    assert model["object"] == "model" and model["owned_by"] == "zhiku" and isinstance(model["created"], int)
    assert model["zhiku"]["knowledge_base_id"] == kb_id
    assert client.get(f"/v1/models/{kb_id}").json()["id"] == KB  # an id is accepted too
    missing = client.get("/v1/models/no-such-kb")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"


def test_completion_is_the_cited_extractive_answer(client):
    kb_id = _knowledge_base(client)
    response = _ask(client, [{"role": "system", "content": "You are a helpful assistant."}, _user(QUESTION)],
                    temperature=0.2, max_tokens=300, user="teller-042")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == KB and isinstance(body["created"], int)
    [choice] = body["choices"]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert "一千二百元" in content
    _check_citations(content, body["citations"])
    first = body["citations"][0]
    assert first["citation"]["document_name"] == DOCUMENT and first["citation"]["kb_id"] == kb_id
    assert "白金信用卡" in first["citation"]["heading_path"]
    usage = body["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert body["zhiku"]["mode"] == "extractive" and body["zhiku"]["found"] is True
    assert body["zhiku"]["query"] == QUESTION and body["zhiku"]["rewritten"] is False

    by_id = _ask(client, [_user(QUESTION)], model=kb_id).json()
    assert by_id["model"] == KB and by_id["choices"][0]["message"]["content"] == content

    english = _ask(client, [_user("What is the annual fee of the 白金信用卡?")]).json()
    assert "\n\nSources:\n[1] " in english["choices"][0]["message"]["content"]

    missing = _ask(client, [_user("外汇期权的保证金比例是多少？")]).json()
    assert missing["zhiku"]["found"] is False and missing["citations"] == []
    assert "来源" not in missing["choices"][0]["message"]["content"]


def test_stream_is_openai_chunks_ending_in_done(client):
    _knowledge_base(client)
    plain = _ask(client, [_user(QUESTION)]).json()
    with client.stream("POST", "/v1/chat/completions",
                       json={"model": KB, "messages": [_user(QUESTION)], "stream": True,
                             "stream_options": {"include_usage": True}}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = _parse_sse(raw)
    chunks = events[:-1]
    ids = {c["id"] for c in chunks}
    assert len(ids) == 1 and ids.pop().startswith("chatcmpl-")
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == KB for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["completion_tokens"] > 0
    final = chunks[-2]
    assert final["choices"][0]["finish_reason"] == "stop" and final["choices"][0]["delta"] == {}
    middle = chunks[1:-2]
    assert len(middle) >= 2 and all(c["choices"][0]["finish_reason"] is None for c in middle)
    content = "".join(c["choices"][0]["delta"]["content"] for c in middle)
    assert content == plain["choices"][0]["message"]["content"]  # the same answer, streamed
    assert final["citations"] == plain["citations"]
    _check_citations(content, final["citations"])
    assert final["zhiku"]["mode"] == "extractive" and final["zhiku"]["found"] is True


def test_errors_have_openai_shape(client):
    _knowledge_base(client)

    def error(response, status: int, code: str, param: str | None = None) -> None:
        assert response.status_code == status, response.text
        body = response.json()
        assert set(body) == {"error"}, body
        assert body["error"]["code"] == code and body["error"]["message"]
        assert body["error"]["type"] == "invalid_request_error"
        if param is not None:
            assert body["error"]["param"] == param

    error(client.post("/v1/chat/completions", json={"model": "no-such-kb", "messages": [_user(QUESTION)]}),
          404, "model_not_found", "model")
    error(client.post("/v1/chat/completions", json={"model": "no-such-kb", "messages": [_user(QUESTION)],
                                                    "stream": True}), 404, "model_not_found")
    error(_ask(client, [{"role": "system", "content": "Be brief."}]), 400, "missing_user_message", "messages")
    error(_ask(client, [_user("   ")]), 400, "empty_question")
    error(_ask(client, []), 400, "invalid_value", "messages")
    error(client.post("/v1/chat/completions", json={"messages": [_user(QUESTION)]}), 400,
          "missing_required_parameter", "model")
    error(_ask(client, [{"role": "wizard", "content": QUESTION}]), 400, "invalid_value", "messages.0.role")
    error(_ask(client, [_user(QUESTION)], n=2), 400, "invalid_value", "n")
    error(client.post("/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}),
          400, "invalid_json")
    # No LLM is configured in these tests: asking for one is refused before anything streams.
    error(_ask(client, [_user(QUESTION)], stream=True, zhiku={"mode": "llm"}), 400, "invalid_input")


def test_follow_up_is_rewritten_with_the_history(client):
    _knowledge_base(client)
    first = _ask(client, [_user("白金信用卡怎么申请？")]).json()
    first_content = first["choices"][0]["message"]["content"]
    assert "手机银行" in first_content and "来源：" in first_content
    follow_up = "它的年费是多少？"
    messages = [_user("白金信用卡怎么申请？"), {"role": "assistant", "content": first_content}, _user(follow_up)]
    body = _ask(client, messages).json()
    zhiku = body["zhiku"]
    assert zhiku["rewritten"] is True and "白金" in zhiku["query"] and "年费" in zhiku["query"]
    content = body["choices"][0]["message"]["content"]
    assert "一千二百元" in content and "终身免年费" not in content
    assert "白金信用卡" in body["citations"][0]["citation"]["heading_path"]

    # A third question still reaches the first one's subject through the rewritten second one.
    messages += [{"role": "assistant", "content": content}, _user("那怎么免掉？")]
    third = _ask(client, messages).json()
    assert "白金" in third["zhiku"]["query"], third["zhiku"]

    alone = _ask(client, [_user(follow_up)]).json()
    assert alone["zhiku"]["rewritten"] is False and alone["zhiku"]["query"] == follow_up


# -- the real OpenAI SDK over HTTP ---------------------------------------------------------------
def test_the_openai_sdk_works_unchanged(client, settings, runtime):
    openai = pytest.importorskip("openai")
    from zhiku.api.app import create_app

    _knowledge_base(client)
    with live_server(create_app(settings, runtime)) as base_url:
        # the SDK's api_key is a Zhiku API key, sent as Authorization: Bearer
        refused = openai.OpenAI(base_url=f"{base_url}/v1", api_key="zk_not_a_key", max_retries=0, timeout=30)
        with pytest.raises(openai.AuthenticationError) as unauthenticated:
            refused.models.list()
        assert unauthenticated.value.code == "unauthenticated" and "API key" in unauthenticated.value.message
        sdk_key = create_key(settings, {"*": ["search", "ask"]}, name="openai sdk")
        sdk = openai.OpenAI(base_url=f"{base_url}/v1", api_key=sdk_key, max_retries=0, timeout=120)
        assert KB in [m.id for m in sdk.models.list()]
        assert sdk.models.retrieve(KB).owned_by == "zhiku"

        completion = sdk.chat.completions.create(model=KB, messages=[_user(QUESTION)], temperature=0)
        content = completion.choices[0].message.content
        assert completion.choices[0].finish_reason == "stop" and "一千二百元" in content
        _check_citations(content, completion.model_extra["citations"])
        assert completion.usage.total_tokens > 0

        stream = sdk.chat.completions.create(model=KB, messages=[_user(QUESTION)], stream=True,
                                             extra_body={"zhiku": {"mode": "extractive", "top_k": 5}})
        chunks = list(stream)
        streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert streamed == content
        assert chunks[0].choices[0].delta.role == "assistant"
        assert chunks[-1].choices[0].finish_reason == "stop"
        assert chunks[-1].model_extra["citations"] == completion.model_extra["citations"]

        with pytest.raises(openai.NotFoundError) as not_found:
            sdk.chat.completions.create(model="no-such-kb", messages=[_user(QUESTION)])
        assert not_found.value.code == "model_not_found" and "no-such-kb" in not_found.value.message
        with pytest.raises(openai.BadRequestError) as bad:
            sdk.chat.completions.create(model=KB, messages=[{"role": "system", "content": "Be brief."}])
        assert bad.value.code == "missing_user_message"


# -- the real LLM --------------------------------------------------------------------------------
@pytest.fixture
def llm_client(tmp_path, bolt_server, llm_server, shared_embedder, shared_ocr_reader, shared_transcriber):
    """As the `client` fixture, answering with the local LLM; SQLite only (the model is slow)."""
    from fastapi.testclient import TestClient

    from zhiku.api.app import create_app

    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'meta.sqlite3'}",
                        max_upload_mb=1, chunk_size=200, chunk_overlap=40, parent_chunk_size=800, _env_file=None,
                        **graph_settings(bolt_server), **llm_settings(llm_server))
    rt = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    try:
        with TestClient(create_app(settings, rt), headers=admin_headers(settings)) as test_client:
            yield test_client
    finally:
        rt.close()


def test_llm_answer_streams_with_citations_that_map_to_the_list(llm_client):
    _knowledge_base(llm_client)
    # Two passages of evidence: with three, the 0.5B model tends to open with NOT_FOUND before answering.
    with llm_client.stream("POST", "/v1/chat/completions",
                           json={"model": KB, "stream": True, "messages": [_user(QUESTION)],
                                 "zhiku": {"top_k": 2}}) as response:
        assert response.status_code == 200
        raw = "".join(response.iter_text())
    events = _parse_sse(raw)
    chunks = events[:-1]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    final = chunks[-1]
    assert final["choices"][0]["finish_reason"] == "stop"
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    zhiku = final["zhiku"]
    assert zhiku["mode"] == "llm" and zhiku["llm_model"]
    assert zhiku["found"] is True, content  # the evidence states the fee outright
    _check_citations(content, final["citations"])
    assert all(c["citation"]["document_name"] == DOCUMENT for c in final["citations"])
