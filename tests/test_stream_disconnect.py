"""A streamed answer stops when its reader leaves (issue #12, item 4): the service runs under uvicorn on loopback
(a real socket, which TestClient does not give), a client opens a streamed LLM answer on /answer and on
/v1/chat/completions, reads its first bytes and closes the socket; the service must then close its stream to the
real local LLM (its log says so, with how few deltas it read), and the LLM server must see the disconnect (its
own log line). The service logs that line only when the stream ends before the model's last token, so the
answer was cut short, not finished for nobody."""
from __future__ import annotations

import json
import logging
import re
import socket
import time

import httpx
import pytest

from tests.conftest import graph_settings, llm_settings, make_runtime, wait_for_job
from tests.credentials import admin_headers
from tests.live_server import live_server

LOAN_POLICY = """# 个人贷款管理办法

## 贷款额度
个人消费贷款额度最高30万元，经营贷款额度最高500万元，住房贷款额度按房产评估价值的70%确定。

## 贷款利率
消费贷款年利率3.85%起，经营贷款年利率4.2%起，住房贷款利率按LPR加点确定，加点幅度由分行审批。

## 还款方式
可选择等额本息、等额本金或先息后本，提前还款需提前15个工作日申请，提前还款不收违约金。
"""
# the first event carrying generated text: /answer's `delta`, or a chat chunk with non-empty content
GENERATED = re.compile(rb'event: delta|"content": ?"[^"]')
MAX_TOKENS = 400  # a whole answer would take the 0.5B model on two cores many seconds


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def live_service(tmp_path, bolt_server, llm_server, shared_embedder, shared_ocr_reader, shared_transcriber):
    from zhiku.api.app import create_app
    from zhiku.core.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", _env_file=None, **graph_settings(bolt_server),
                        **llm_settings(llm_server, llm_max_tokens=MAX_TOKENS))
    runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    headers = admin_headers(settings)
    with live_server(create_app(settings, runtime)) as url, httpx.Client(base_url=url, timeout=120,
                                                                         headers=headers) as client:
        kb_id = client.post("/knowledge-bases", json={"name": "loans"}).json()["id"]
        item = client.post(f"/knowledge-bases/{kb_id}/documents",
                           files=[("files", ("贷款办法.md", LOAN_POLICY.encode(), "text/markdown"))]).json()["items"][0]
        assert wait_for_job(client, item["job_id"])["status"] == "done"
        yield int(url.rsplit(":", 1)[1]), headers["Authorization"]
    runtime.close()


def _open_stream_and_leave(port: int, authorization: str, path: str, body: dict) -> bytes:
    """POST `body`, read until the first generated text has arrived (so the model is mid-answer), then close
    the socket."""
    payload = json.dumps(body, ensure_ascii=False).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=240)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(payload)}\r\nAccept: text/event-stream\r\n"
                 f"Authorization: {authorization}\r\n\r\n".encode() + payload)
    received = b""
    while not GENERATED.search(received):
        chunk = sock.recv(4096)
        assert chunk, received
        received += chunk
    sock.close()
    return received


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.parametrize("path,body", [
    ("/answer", {"question": "消费贷款和经营贷款的额度最高是多少，年利率分别是多少？请逐项详细说明。", "mode": "llm", "stream": True}),
    ("/v1/chat/completions", {"model": "loans", "stream": True, "zhiku": {"mode": "llm"}, "messages": [
        {"role": "user", "content": "消费贷款和经营贷款的额度最高是多少，年利率分别是多少？请逐项详细说明。"}]}),
])
def test_a_streamed_answer_stops_when_its_reader_leaves(live_service, llm_server, path, body):
    records = _Records()
    logger = logging.getLogger("zhiku.answer.llm_client")
    logger.addHandler(records)
    level = logger.level
    logger.setLevel(logging.INFO)
    llm_log = llm_server.log_path.read_text(errors="replace") if llm_server.log_path.exists() else ""
    try:
        port, authorization = live_service
        head = _open_stream_and_leave(port, authorization, path, body)
        left_at = time.monotonic()
        assert head.startswith(b"HTTP/1.1 200"), head[:300]
        closed = _wait_for(lambda: any("its reader left" in m for m in records.messages), 60)
        waited = time.monotonic() - left_at
    finally:
        logger.removeHandler(records)
        logger.setLevel(level)
    assert closed, records.messages
    deltas = int(next(m for m in records.messages if "its reader left" in m).split(" after ")[1].split()[0])
    assert deltas < MAX_TOKENS, deltas
    # the LLM server saw its client leave, so it stopped generating (llama-cpp-python's server logs this)
    assert _wait_for(lambda: "Disconnected from client" in llm_server.log_path.read_text(errors="replace")[len(llm_log):],
                     30)
    print(f"{path}: the LLM stream was closed {waited:.1f} s after the reader left, after {deltas} deltas")
