"""A bounded load test on loopback: does the service degrade gracefully?

Starts `zhiku serve --demo` on a throwaway data folder (or uses --url), waits until the demo knowledge base is
ingested, then runs three phases and prints a Markdown table:

1. unloaded: one client, ordinary searches one after another;
2. base load: 50 clients for --seconds, half on /search, half on extractive /ask, with the demo questions;
3. base load plus 8 clients sending 2,000-character queries to /search.

Every virtual client connects from its own loopback address (127.0.1.x), so per-client rate limits apply to it
as to a real user. Reported per phase and kind of client: requests, p50 and p95 latency of the answered ones
(2xx), 429 and 503 replies (load shed), errors (other statuses, timeouts, refused connections), and requests
still unanswered when the phase ended (cut: a phase lasts --seconds plus at most --grace, never longer).

    zhiku eval load [--seconds 60] [--clients 50] [--long-clients 8] [--url URL] [--output report.json]
    python -m zhiku.evaluation.load_test  (the same options)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

QUESTIONS = Path(__file__).resolve().parent.parent / "demo" / "questions.jsonl"
LONG_QUERY_CHARS = 2000
TIMEOUT_S = 120
GRACE_S = 10  # how long a phase waits, after its end, for the requests still in flight


@dataclass
class Tally:
    requests: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, of the answered (2xx) requests
    shed: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # 429 and 503 replies
    errors: int = 0  # any other status, a timeout or a refused connection
    cut: int = 0  # still unanswered when the phase (plus its grace) ended

    def add(self, status: int | None, seconds: float) -> None:
        self.requests += 1
        if status is not None and 200 <= status < 300:
            self.latencies.append(seconds)
        elif status in (429, 503):
            self.shed[status] += 1
        else:
            self.errors += 1

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")

    @property
    def p95(self) -> float:
        return self.percentile(0.95)

    def row(self, phase: str, kind: str) -> str:
        return (f"| {phase} | {kind} | {self.requests} | {len(self.latencies)} | {self.percentile(0.5) * 1000:.0f} | "
                f"{self.p95 * 1000:.0f} | {self.shed.get(429, 0)} | {self.shed.get(503, 0)} | {self.errors} | "
                f"{self.cut} |")

    def summary(self) -> dict:
        return {"requests": self.requests, "answered": len(self.latencies),
                "p50_ms": round(self.percentile(0.5) * 1000, 1), "p95_ms": round(self.p95 * 1000, 1),
                "429": self.shed.get(429, 0), "503": self.shed.get(503, 0), "errors": self.errors, "cut": self.cut}


def _questions() -> list[str]:
    return [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _long_query(rng: random.Random, questions: list[str]) -> str:
    text = ""
    while len(text) < LONG_QUERY_CHARS:
        text += rng.choice(questions)
    return text[:LONG_QUERY_CHARS]


# One API key per simulated client (rate limits count per signed-in caller); with --url, the one --api-key.
_KEYS: list[str] = []


def _headers(number: int = 0) -> dict[str, str]:
    return {"Authorization": f"Bearer {_KEYS[number % len(_KEYS)]}"} if _KEYS else {}


def _issue_keys(data_dir: Path, count: int) -> list[str]:
    """Search-and-ask keys in the throwaway server's metadata store (migrated here first, before it starts)."""
    from zhiku.core.db import make_engine, migrate, session_factory
    from zhiku.core.identity.api_keys import ApiKeyStore
    from zhiku.core.settings import Settings

    engine = make_engine(Settings(data_dir=data_dir, _env_file=None).resolved_database_url)
    try:
        migrate(engine)
        store = ApiKeyStore(session_factory(engine))
        return [store.create(f"load client {n}", {"*": ["search", "ask"]}, "load test", expires_in_days=1).secret
                for n in range(count)]
    finally:
        engine.dispose()


async def _client(url: str, address: str, kind: str, stop_at: float, questions: list[str], tally: Tally,
                  seed: int, grace_s: float) -> None:
    rng = random.Random(seed)
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=url, transport=transport, timeout=TIMEOUT_S,
                                 headers=_headers(seed)) as client:
        while time.monotonic() < stop_at:
            if kind == "search":
                path, body = "/search", {"query": rng.choice(questions)}
            elif kind == "ask":
                path, body = "/ask", {"question": rng.choice(questions), "mode": "extractive"}
            else:
                path, body = "/search", {"query": _long_query(rng, questions)}
            started = time.monotonic()
            try:
                # the phase is bounded: a request still unanswered `grace_s` after its end is cut, not awaited
                response = await asyncio.wait_for(client.post(path, json=body),
                                                  max(0.1, stop_at + grace_s - started))
                status = response.status_code
                retry = response.headers.get("retry-after")
            except asyncio.TimeoutError:
                tally.requests += 1
                tally.cut += 1
                return
            except httpx.HTTPError:
                status, retry = None, None
            tally.add(status, time.monotonic() - started)
            if status in (429, 503) and retry:
                await asyncio.sleep(min(float(retry), max(0.0, stop_at - time.monotonic())))


async def _phase(url: str, seconds: float, clients: dict[str, int], questions: list[str],
                 grace_s: float = GRACE_S) -> dict[str, Tally]:
    tallies = {kind: Tally() for kind in clients}
    stop_at = time.monotonic() + seconds
    tasks, number = [], 0
    for kind, count in clients.items():
        for _ in range(count):
            number += 1
            address = f"127.0.{1 + number // 250}.{number % 250 + 1}"
            tasks.append(_client(url, address, kind, stop_at, questions, tallies[kind], number, grace_s))
    await asyncio.gather(*tasks)
    return tallies


async def _unloaded(url: str, questions: list[str], requests: int = 40) -> tuple[Tally, Tally]:
    """One client alone: ordinary searches, then 2,000-character ones (what one of them costs by itself)."""
    ordinary, long = Tally(), Tally()
    rng = random.Random(0)
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT_S, headers=_headers()) as client:
        for tally, count, query in ((ordinary, requests, None), (long, requests // 4, "long")):
            for i in range(count):
                text = _long_query(rng, questions) if query else (questions * 3)[i % (len(questions) * 3)]
                started = time.monotonic()
                try:
                    status = (await client.post("/search", json={"query": text})).status_code
                except httpx.HTTPError:
                    status = None
                tally.add(status, time.monotonic() - started)
    return ordinary, long


def _start_server(port: int, data_dir: Path, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "ZHIKU_DATA_DIR": str(data_dir), "ZHIKU_LOAD_DEMO": "true", "ZHIKU_ANSWER_MODE": "extractive"}
    log = log_path.open("w")
    return subprocess.Popen([sys.executable, "-m", "zhiku.api.cli", "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _wait_until_ingested(url: str, timeout_s: float = 1800) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            kbs = httpx.get(f"{url}/knowledge-bases", timeout=10, headers=_headers()).json()
            documents = [d for kb in kbs for d in httpx.get(f"{url}/knowledge-bases/{kb['id']}/documents",
                                                            timeout=10, headers=_headers()).json()]
            # the job, not the document: the graph stage runs after a document is searchable
            if documents and all((d.get("latest_job") or {}).get("status") in ("done", "failed") for d in documents):
                return
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            pass
        time.sleep(2)
    raise SystemExit("the demo knowledge base was not ingested in time")


def run(url: str | None = None, port: int = 8765, seconds: float = 60, clients: int = 50, long_clients: int = 8,
        grace_s: float = GRACE_S, api_key: str | None = None) -> dict:
    """The three phases against `url` (or a throwaway `zhiku serve --demo` on `port`); a dict of the figures."""
    questions = _questions()
    server = None
    workdir = tempfile.TemporaryDirectory(prefix="zhiku-load-")
    target = url or f"http://127.0.0.1:{port}"
    try:
        if not url:
            _KEYS[:] = _issue_keys(Path(workdir.name) / "data", clients + long_clients + 1)
            server = _start_server(port, Path(workdir.name) / "data", Path(workdir.name) / "server.log")
        elif api_key:
            _KEYS[:] = [api_key]
        _wait_until_ingested(target)
        unloaded, unloaded_long = asyncio.run(_unloaded(target, questions))
        half = clients // 2
        base = {"search": half, "ask": clients - half}
        loaded = asyncio.run(_phase(target, seconds, base, questions, grace_s))
        attacked = asyncio.run(_phase(target, seconds, {**base, "long query": long_clients}, questions, grace_s))
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        workdir.cleanup()
    phases = {"unloaded (1 client)": {"search": unloaded, "long query": unloaded_long},
              f"{clients} clients, {seconds:g} s": loaded,
              f"{clients} + {long_clients} long-query clients, {seconds:g} s": attacked}
    return {"seconds": seconds, "clients": clients, "long_clients": long_clients,
            "phases": {phase: {kind: tally.summary() for kind, tally in tallies.items()}
                       for phase, tallies in phases.items()},
            "search_p95_ratio_long_clients_vs_without": attacked["search"].p95 / loaded["search"].p95,
            "search_p95_ratio_long_clients_vs_unloaded": attacked["search"].p95 / unloaded.p95,
            "_tallies": phases}


def report(result: dict) -> str:
    """The figures as the Markdown table docs/benchmarks.md holds."""
    lines = ["| phase | clients | requests | answered | p50 ms | p95 ms | 429 | 503 | errors | cut |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for phase, tallies in result["_tallies"].items():
        lines += [tally.row(phase, kind) for kind, tally in tallies.items()]
    lines.append(f"\nordinary /search p95 with the long-query clients / without them: "
                 f"{result['search_p95_ratio_long_clients_vs_without']:.2f}×; / unloaded: "
                 f"{result['search_p95_ratio_long_clients_vs_unloaded']:.2f}×")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one on --port with a throwaway data folder)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--long-clients", type=int, default=8)
    parser.add_argument("--api-key", default=os.environ.get("ZHIKU_API_KEY"),
                        help="with --url: the API key every client sends (default ZHIKU_API_KEY)")
    parser.add_argument("--grace", type=float, default=GRACE_S, help="seconds a phase waits for requests in flight")
    parser.add_argument("--output", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    result = run(args.url, args.port, args.seconds, args.clients, args.long_clients, args.grace, args.api_key)
    print(report(result))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps({k: v for k, v in result.items() if not k.startswith("_")}, indent=2,
                                          ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
