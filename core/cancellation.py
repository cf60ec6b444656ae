"""The signal that whoever asked for a piece of work has gone (a streamed answer's reader disconnected), visible
to that work in the worker threads it runs in.

The HTTP face sets a `Cancellation` for the request (a context variable: worker threads started with
`anyio.to_thread` copy the context, so they see it) and fires it when the client disconnects; long work — the
LLM stream above all — calls `raise_if_cancelled()` between steps and registers how to interrupt a blocking read
with `on_cancel`, so it stops at once instead of after the next sentence.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Cancelled(Exception):
    """The work's requester has gone; nobody will read its result."""


class Cancellation:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - interrupting is best effort; the flag is set either way
                pass

    @contextmanager
    def on_cancel(self, callback: Callable[[], None]) -> Iterator[None]:
        """Call `callback` (from the cancelling thread) if the work is cancelled while inside this block."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                registered = True
            else:
                registered = False
        if not registered:
            callback()
        try:
            yield
        finally:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)


_current: ContextVar[Cancellation | None] = ContextVar("zhiku_cancellation", default=None)


def current_cancellation() -> Cancellation | None:
    return _current.get()


def raise_if_cancelled() -> None:
    cancellation = _current.get()
    if cancellation is not None and cancellation.cancelled:
        raise Cancelled("the requester has gone")


@contextmanager
def cancellable(cancellation: Cancellation) -> Iterator[Cancellation]:
    """Make `cancellation` the current one for this context (and the worker threads started from it)."""
    token = _current.set(cancellation)
    try:
        yield cancellation
    finally:
        _current.reset(token)
