"""`zhiku eval load` is bounded (issue #12, item 4): a phase lasts its seconds plus the grace, however slow the
server, and what was still unanswered is counted as cut; 429/503 are counted as shed, other statuses as errors."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from zhiku.evaluation.load_test import _phase


class _Server(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        if len(body.get("query", "")) > 500:  # the long-query clients: a server that never answers them in time
            time.sleep(10)
            status = 200
        else:
            status = {"search": 200, "ask": 503}["search" if "query" in body else "ask"]
        self.send_response(status)
        if status == 503:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_phase_ends_on_time_and_counts_what_it_cut(slow_server):
    started = time.monotonic()
    tallies = asyncio.run(_phase(slow_server, 2.0, {"search": 2, "ask": 2, "long query": 2}, ["年费多少？"],
                                 grace_s=1.0))
    elapsed = time.monotonic() - started
    assert elapsed < 7, elapsed  # 2 s + 1 s grace (+ start-up on a busy machine), not the 10 s a long query takes
    assert tallies["search"].latencies and tallies["search"].errors == 0 and tallies["search"].cut == 0
    assert tallies["ask"].shed[503] >= 1 and not tallies["ask"].latencies
    assert tallies["long query"].cut == 2 and tallies["long query"].requests == 2
