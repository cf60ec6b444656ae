"""Server-sent events: one `event:`/`data:` pair per message, JSON data; errors end the stream readably."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator

from fastapi.responses import StreamingResponse

from zhiku.core.errors import ZhikuError

log = logging.getLogger(__name__)


def sse_message(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def sse_response(events: Iterable[tuple[str, dict]]) -> StreamingResponse:
    def body() -> Iterator[str]:
        try:
            for event, data in events:
                yield sse_message(event, data)
        except ZhikuError as exc:
            yield sse_message("error", {"error": exc.code, "message": exc.message})
        except Exception:  # noqa: BLE001 - the stream has started: the client can only be told in-band
            log.exception("answer stream failed")
            yield sse_message("error", {"error": "internal_error", "message": "the answer failed; see the server log"})

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
