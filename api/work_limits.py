"""Expensive routes run a bounded number at a time; a request that cannot get a slot soon is answered 503 with
Retry-After instead of queueing without bound, and one whose client has gone is never started.

Each class of route (searches, answers, page previews) has its own slots (ZHIKU_CONCURRENT_*) and a short
queue (ZHIKU_WORK_QUEUE_LENGTH requests, each waiting at most ZHIKU_WORK_QUEUE_WAIT_SECONDS). The request's body
is read first (these routes take small JSON), so that while the request waits its client is still listened to:
a search abandoned in the queue costs nothing, and a streamed answer stops when its reader leaves.
"""
from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass
from enum import Enum

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhiku.api.request_body import replay
from zhiku.api.request_guards import send_refusal


class RouteCost(str, Enum):
    SEARCH = "search"
    ANSWER = "answer"
    PREVIEW = "preview"
    OTHER = "other"


_EXPENSIVE: tuple[tuple[RouteCost, frozenset[str], re.Pattern[str]], ...] = (
    (RouteCost.ANSWER, frozenset({"POST"}), re.compile(
        r"^/(?:ask|answer|assistant/chat|research/(?:ask|extract)|reports/(?:credit|draft)|v1/chat/completions)/?$")),
    (RouteCost.SEARCH, frozenset({"POST", "GET"}), re.compile(r"^/(?:search|chunks|graph/(?:entities(?:/[^/]+)?|path))/?$")),
    (RouteCost.PREVIEW, frozenset({"GET"}), re.compile(r"^/documents/[^/]+/(?:pages/[^/]+/image|text)/?$")),
)


def route_cost(method: str, path: str) -> RouteCost:
    for cost, methods, pattern in _EXPENSIVE:
        if method in methods and pattern.match(path):
            return cost
    return RouteCost.OTHER


@dataclass
class WorkQueue:
    slots: int
    max_waiting: int
    max_wait_s: float

    def __post_init__(self):
        self._semaphore = asyncio.Semaphore(self.slots)
        self._waiting = 0
        self.abandoned = 0  # requests whose client left while they waited (never started)

    @property
    def retry_after(self) -> str:
        return str(max(1, math.ceil(self.max_wait_s)))

    async def acquire(self, gone: asyncio.Event) -> str:
        """'ok' (a slot is held: release it), 'full', 'timeout' or 'gone'."""
        if self._semaphore.locked() and self._waiting >= self.max_waiting:
            return "full"
        self._waiting += 1
        try:
            getter = asyncio.ensure_future(self._semaphore.acquire())
            left = asyncio.ensure_future(gone.wait())
            done, pending = await asyncio.wait({getter, left}, timeout=self.max_wait_s,
                                               return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if getter in done:
                if left in done:
                    self._semaphore.release()
                    self.abandoned += 1
                    return "gone"
                return "ok"
            if left in done:
                self.abandoned += 1
                return "gone"
            return "timeout"
        finally:
            self._waiting -= 1

    def release(self) -> None:
        self._semaphore.release()


class ConcurrencyLimitMiddleware:
    def __init__(self, app: ASGIApp, queues: dict[RouteCost, WorkQueue]):
        self.app = app
        self.queues = queues

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        queue = self.queues.get(route_cost(scope["method"], scope["path"])) if scope["type"] == "http" else None
        if queue is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client left while sending
        gone = asyncio.Event()
        listener = asyncio.ensure_future(_listen_for_disconnect(receive, gone))
        try:
            outcome = await queue.acquire(gone)
            if outcome in ("full", "timeout"):
                await send_refusal(send, 503, "overloaded",
                                   "The service is busy with other requests of this kind; try again in a few "
                                   "seconds.", {"Retry-After": queue.retry_after})
                return
            if outcome == "gone":
                return
            try:
                await self.app(scope, replay(body, then=_disconnect_once(gone)), send)
            finally:
                queue.release()
        finally:
            listener.cancel()


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _listen_for_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


def _disconnect_once(gone: asyncio.Event) -> Receive:
    async def receive() -> Message:
        await gone.wait()  # a streaming response listens here, and stops when its reader leaves
        return {"type": "http.disconnect"}

    return receive
