"""Server-sent events: one `event:`/`data:` pair per message, JSON data; errors end the stream readably; the work
behind a stream is cancelled the moment its reader disconnects."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator

from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from zhiku.core.cancellation import Cancellation, Cancelled, cancellable
from zhiku.core.errors import ZhikuError

log = logging.getLogger(__name__)


def sse_message(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


class ReaderAwareStreamingResponse(StreamingResponse):
    """A streaming response that cancels its work (core/cancellation) when the reader disconnects.

    Starlette stops sending at once, but the body's generator runs in a worker thread and would go on until its
    next item — for an LLM answer, the next whole sentence, generated for nobody. The cancellation is the
    request's current one while the body runs (worker threads copy the context), so the LLM client interrupts
    its read and closes its stream to the model server, which then stops generating. Starlette listens for the
    disconnect on ASGI servers of spec 2.3 (uvicorn's); on 2.4 servers the stream still stops at its next send.
    """

    def __init__(self, content: Iterable[str], **kwargs):
        self.cancellation = Cancellation()
        super().__init__(content, **kwargs)

    async def listen_for_disconnect(self, receive: Receive) -> None:
        await super().listen_for_disconnect(receive)
        self.cancellation.cancel()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with cancellable(self.cancellation):
            await super().__call__(scope, receive, send)


def sse_response(events: Iterable[tuple[str, dict]]) -> StreamingResponse:
    def body() -> Iterator[str]:
        try:
            for event, data in events:
                yield sse_message(event, data)
        except Cancelled:
            return  # the reader has gone: nobody to tell
        except ZhikuError as exc:
            yield sse_message("error", {"error": exc.code, "message": exc.message})
        except Exception:  # noqa: BLE001 - the stream has started: the client can only be told in-band
            log.exception("answer stream failed")
            yield sse_message("error", {"error": "internal_error", "message": "the answer failed; see the server log"})

    return ReaderAwareStreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
