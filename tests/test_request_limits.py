"""Load that degrades gracefully and input that is refused readably (issue #12, items 4 and 6): request bodies
limited while they stream, strict JSON, the query-length cap, per-client rate limits, bounded work queues that
answer 503 with Retry-After, and no work for clients that have gone."""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time

import httpx
import pytest

from tests.credentials import admin_headers
from tests.conftest import graph_settings, make_runtime
from tests.live_server import live_server

ENDPOINTS = [("/search", "query"), ("/ask", "question"), ("/answer", "question"), ("/assistant/chat", "message"),
             ("/research/ask", "question"), ("/knowledge-bases", "name")]


def _post_raw(client, path: str, body: bytes | str):
    return client.post(path, content=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize("path,field", ENDPOINTS)
def test_a_lone_surrogate_is_refused_with_422_not_a_server_error(client, path, field):
    response = _post_raw(client, path, '{"%s": "\\ud800"}' % field)
    assert response.status_code == 422, response.text
    assert "surrogate" in response.json()["message"]


def test_the_openai_compatible_routes_refuse_malformed_json_in_openai_shape(client):
    response = _post_raw(client, "/v1/chat/completions",
                         '{"model": "kb", "messages": [{"role": "user", "content": "\\ud800"}]}')
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_json" and "surrogate" in error["message"]


@pytest.mark.parametrize("body,reason", [
    (b'{"query": NaN}', "NaN is not a JSON number"),
    (b'{"query": "a", "top_k": Infinity}', "Infinity is not a JSON number"),
    (b'{"query": "a", "top_k": 1e999}', "too large"),
    (b'{"query": "\xff\xfe\xfa"}', "not valid UTF-8"),
    (b'{"query": "a\\u0000b"}', "NUL character"),
    (b'{"query": "a", "x": ' + b"[" * 100 + b"]" * 100 + b"}", "nested more than 64"),
    (b'{"query": "a", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested more than 64"),
    (b'{"query": ', "not valid JSON"),
])
def test_malformed_json_is_refused_with_a_reason(client, body, reason):
    response = _post_raw(client, "/search", body)
    assert response.status_code == 422, response.text
    assert reason in response.json()["message"]


def test_nul_in_the_address_is_refused(client):
    assert client.get("/knowledge-bases/a%00b").status_code == 422
    assert client.get("/graph/entities?q=%00").status_code == 422


def test_a_json_body_over_the_limit_is_refused(client):
    response = _post_raw(client, "/search", json.dumps({"query": "a", "pad": "x" * (1100 * 1024)}))
    assert response.status_code == 413 and "ZHIKU_MAX_REQUEST_KB" in response.json()["message"]


def test_a_query_over_the_length_cap_is_refused_before_retrieval(client, settings, runtime):
    from fastapi.testclient import TestClient

    from zhiku.api.app import create_app

    assert client.post("/search", json={"query": "贷" * 2001}).status_code == 422  # the API's own bound
    client.post("/knowledge-bases", json={"name": "cap"})
    strict = settings.model_copy(update={"max_query_chars": 50})
    runtime.settings = strict
    with TestClient(create_app(strict, runtime), headers=admin_headers(strict)) as capped:
        for path, field in [("/search", "query"), ("/ask", "question"), ("/assistant/chat", "message")]:
            response = capped.post(path, json={field: "贷款利率是多少" * 10})
            assert response.status_code == 422, (path, response.text)
            assert "ZHIKU_MAX_QUERY_CHARS" in response.text, path
        assert capped.post("/search", json={"query": "贷款利率是多少"}).status_code == 200


def test_the_embedder_reads_a_bounded_prefix_of_a_query(runtime):
    embedder = runtime.embedder
    question = "个人住房贷款提前还款是否需要支付违约金？"
    long_query = (question * 200)[:2000]
    assert embedder.query_chars == 256
    assert (embedder.embed_query(long_query) == embedder.embed_query(long_query[:256])).all()


# -- a live server: the body limit while streaming, rate limits per client, the work queue -----------------------

@pytest.fixture
def live(tmp_path, bolt_server, shared_embedder, shared_ocr_reader, shared_transcriber):
    from zhiku.api.app import create_app
    from zhiku.core.settings import Settings

    def start(**overrides):
        settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'meta.sqlite3'}",
                            max_upload_mb=1, _env_file=None, **graph_settings(bolt_server), **overrides)
        runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
        stack.append(runtime)
        server = live_server(create_app(settings, runtime))
        servers.append(server)
        return server.__enter__(), runtime

    stack, servers = [], []
    yield start
    for server in servers:
        server.__exit__(None, None, None)
    for runtime in stack:
        runtime.close()


def test_a_600_mib_upload_is_refused_long_before_it_is_sent_whole(live, tmp_path):
    url, runtime = live()
    admin = admin_headers(runtime.settings)
    kb_id = httpx.post(f"{url}/knowledge-bases", json={"name": "大文件"}, headers=admin).json()["id"]
    sent = 0
    boundary = "zhikuboundary"

    def body():
        nonlocal sent
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"录音.wav\"\r\n"
               "Content-Type: audio/wav\r\n\r\n").encode()
        block = b"\0" * (1 << 20)
        for _ in range(600):
            sent += len(block)
            yield block
        yield f"\r\n--{boundary}--\r\n".encode()

    started = time.monotonic()
    try:  # no Content-Length (chunked): the bytes are counted as they arrive
        response = httpx.post(f"{url}/knowledge-bases/{kb_id}/documents", content=body(), timeout=60,
                              headers={"content-type": f"multipart/form-data; boundary={boundary}", **admin})
        assert response.status_code == 413, response.text
        assert "ZHIKU_MAX_UPLOAD_MB" in response.json()["message"]
    except (httpx.WriteError, httpx.RemoteProtocolError):
        pass  # the server answered 413 and closed the connection while the client was still writing
    assert sent < 64 * (1 << 20), f"{sent / (1 << 20):.0f} MiB were sent before the refusal"
    assert time.monotonic() - started < 30
    assert httpx.get(f"{url}/knowledge-bases/{kb_id}/documents", headers=admin).json() == []
    assert not list(runtime.settings.files_dir.glob("*/*"))  # nothing stored
    # With a declared Content-Length the refusal comes before a byte of the body is read.
    import socket

    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall((f"POST /knowledge-bases/{kb_id}/documents HTTP/1.1\r\nHost: {host}\r\n"
                            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                            f"Content-Length: {600 << 20}\r\n\r\n").encode())
        assert connection.recv(4096).startswith(b"HTTP/1.1 413")


def _client_at(address: str, headers: dict | None = None) -> httpx.Client:
    """A client whose connections leave from another loopback address: another client to the server."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60, headers=headers)


def test_rate_limits_apply_per_client_and_answer_429_with_retry_after(live):
    url, runtime = live(rate_limit_expensive="3/minute")
    # signed-in clients are counted per caller (each its own API key), whatever their address
    with _client_at("127.0.0.1", admin_headers(runtime.settings)) as first, \
            _client_at("127.0.0.2", admin_headers(runtime.settings)) as second:
        replies = [first.post(f"{url}/search", json={"query": "利率"}) for _ in range(4)]
        assert [r.status_code for r in replies[:3]] != [429] * 3
        assert replies[3].status_code == 429, replies[3].text
        assert 1 <= int(replies[3].headers["retry-after"]) <= 60
        assert replies[3].json()["error"] == "rate_limited"
        assert second.post(f"{url}/search", json={"query": "利率"}).status_code != 429  # another client
        assert first.get(f"{url}/knowledge-bases").status_code == 200  # other routes have their own budget


def test_a_full_work_queue_answers_503_with_retry_after(live):
    url, runtime = live(concurrent_searches=1, work_queue_length=0, rate_limit_expensive="1000/minute")
    admin = admin_headers(runtime.settings)
    httpx.post(f"{url}/knowledge-bases", json={"name": "队列"}, headers=admin)
    statuses: list[int] = []
    retry_after: list[str] = []

    def search():
        response = httpx.post(f"{url}/search", json={"query": "授信审批流程" * 20}, timeout=60, headers=admin)
        statuses.append(response.status_code)
        if response.status_code == 503:
            retry_after.append(response.headers["retry-after"])

    threads = [threading.Thread(target=search) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 503 in statuses and 200 in statuses, statuses
    assert set(statuses) <= {200, 503}
    assert all(int(value) >= 1 for value in retry_after)


# -- the work queue itself, deterministically -------------------------------------------------------------------

def _run(coroutine):
    """asyncio.run on a thread of its own (a browser test's Playwright keeps a loop running on this one)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _scope(path="/search"):
    return {"type": "http", "method": "POST", "path": path, "headers": [], "query_string": b""}


def test_a_request_whose_client_leaves_while_it_waits_is_never_started():
    from zhiku.api.work_limits import ConcurrencyLimitMiddleware, RouteCost, WorkQueue

    started: list[str] = []
    release = asyncio.Event()

    async def app(scope, receive, send):
        started.append(scope["path"])
        await receive()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def scenario():
        queue = WorkQueue(slots=1, max_waiting=4, max_wait_s=30)
        middleware = ConcurrencyLimitMiddleware(app, {RouteCost.SEARCH: queue})
        sent: list[dict] = []

        async def send(message):
            sent.append(message)

        def receiver(leave: asyncio.Event):
            messages = [{"type": "http.request", "body": b'{"query": "a"}', "more_body": False}]

            async def receive():
                if messages:
                    return messages.pop()
                await leave.wait()
                return {"type": "http.disconnect"}
            return receive

        stays, leaves = asyncio.Event(), asyncio.Event()
        first = asyncio.create_task(middleware(_scope(), receiver(stays), send))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(middleware(_scope("/search/"), receiver(leaves), send))
        await asyncio.sleep(0.05)
        leaves.set()  # the second client gives up while waiting for the slot
        await asyncio.wait_for(second, 5)
        release.set()
        await asyncio.wait_for(first, 5)
        return queue, sent

    queue, sent = _run(scenario())
    assert started == ["/search"]  # the abandoned request never reached the route
    assert queue.abandoned == 1
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [200]


def test_a_request_that_waits_too_long_gets_503():
    from zhiku.api.work_limits import WorkQueue

    async def scenario():
        queue = WorkQueue(slots=1, max_waiting=1, max_wait_s=0.1)
        never = asyncio.Event()
        assert await queue.acquire(never) == "ok"
        waiting = asyncio.create_task(queue.acquire(never))
        await asyncio.sleep(0.01)
        full = await queue.acquire(never)  # one already waits: the queue is full
        timed_out = await waiting
        queue.release()
        return full, timed_out, await queue.acquire(never)

    assert _run(scenario()) == ("full", "timeout", "ok")


def test_work_slots_default_to_the_machines_cores_and_settings_override_them():
    import os

    from zhiku.core.settings import Settings

    cores = len(os.sched_getaffinity(0))
    default = Settings(_env_file=None)
    assert (default.search_slots, default.answer_slots, default.queue_length) == (
        cores, max(1, cores // 2), max(1, cores // 2))
    assert default.work_queue_wait_seconds == 0.25
    chosen = Settings(_env_file=None, concurrent_searches=6, concurrent_answers=3, work_queue_length=0)
    assert (chosen.search_slots, chosen.answer_slots, chosen.queue_length) == (6, 3, 0)
