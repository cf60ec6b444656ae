"""The LLM client against the real local llama.cpp server, and failing endpoints that are real sockets too:
a closed port, a server answering 503, and one that accepts the request but never replies."""
from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from zhiku.answer.llm_client import LlmClient, LlmEndpoint
from zhiku.core.errors import LlmUnavailable

QUESTION = [{"role": "user", "content": "Reply with the single word: yes"}]


class _Failing(BaseHTTPRequestHandler):
    behaviour = "503"

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.behaviour == "hang":
            time.sleep(60)
            return
        self.send_response(503)
        self.end_headers()
        self.wfile.write(b'{"error": "overloaded"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_server(request):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    server.behaviour = request.param
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.requests = 0
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def test_chat_and_stream_against_the_local_server(llm_server):
    client = LlmClient([LlmEndpoint(llm_server.base_url, llm_server.model)], timeout=120, first_token_timeout=120)
    reply = client.chat(QUESTION, max_tokens=8)
    assert reply.text.strip() and reply.endpoint.base_url == llm_server.base_url
    deltas = list(client.stream(QUESTION, max_tokens=8))
    assert len(deltas) >= 1 and "".join(deltas).strip()
    client.close()


@pytest.mark.parametrize("failing_server", ["503", "hang"], indirect=True)
def test_a_failing_or_slow_endpoint_is_skipped_for_the_next(llm_server, failing_server):
    endpoints = [LlmEndpoint(_closed_port_url(), "gone"), LlmEndpoint(failing_server, "bad"),
                 LlmEndpoint(llm_server.base_url, llm_server.model)]
    # The wait for a first token must cover the real server's on a loaded two-core machine (a few seconds).
    client = LlmClient(endpoints, timeout=120, first_token_timeout=8, retries=1)
    started = time.monotonic()
    answering = []
    text = "".join(client.stream(QUESTION, max_tokens=8, on_endpoint=answering.append))
    assert text.strip()  # the user gets an answer from the third endpoint
    assert [e.base_url for e in answering] == [llm_server.base_url]
    # A silent endpoint costs first_token_timeout per attempt (2 attempts), not the whole timeout.
    assert time.monotonic() - started < 90
    assert client.chat(QUESTION, max_tokens=8).endpoint.base_url == llm_server.base_url
    client.close()


def test_every_endpoint_failing_raises_an_actionable_error():
    client = LlmClient([LlmEndpoint(_closed_port_url(), "a"), LlmEndpoint(_closed_port_url(), "b")], retries=0)
    with pytest.raises(LlmUnavailable) as error:
        client.chat(QUESTION)
    assert "ZHIKU_LLM_BASE_URL" in error.value.message and "extractive" in error.value.message
    with pytest.raises(LlmUnavailable):
        list(client.stream(QUESTION))
