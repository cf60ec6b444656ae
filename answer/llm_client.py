"""A client for OpenAI-compatible chat endpoints (vLLM, llama.cpp server, hosted models), with fallbacks.

Endpoints are tried in order. An endpoint is skipped — and the next one used — when it cannot be reached,
answers with an error status (429, 5xx), or is slow: no first token within `first_token_timeout`. Each
endpoint gets `retries` extra attempts for a transient failure before the next one is tried. Once a
stream has started sending text to the caller, a failure is raised (LlmUnavailable) instead of switching,
because the user has already seen part of one model's answer.
"""
from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import httpx

from zhiku.core.cancellation import Cancelled, current_cancellation, raise_if_cancelled
from zhiku.core.errors import LlmUnavailable

log = logging.getLogger(__name__)

# Client errors other than these mean the request itself is wrong: every endpoint would refuse it too.
_RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True, slots=True)
class LlmEndpoint:
    base_url: str  # e.g. http://127.0.0.1:8080/v1
    model: str
    api_key: str | None = None

    @property
    def label(self) -> str:
        return f"{self.model}@{self.base_url}"


@dataclass(slots=True)
class ChatReply:
    text: str
    endpoint: LlmEndpoint


class _EndpointFailed(Exception):
    def __init__(self, reason: str, retryable: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class LlmClient:
    def __init__(self, endpoints: Sequence[LlmEndpoint], *, timeout: float = 60.0, first_token_timeout: float = 20.0,
                 retries: int = 1, transport: httpx.BaseTransport | None = None):
        if not endpoints:
            raise ValueError("LlmClient needs at least one endpoint")
        self.endpoints = list(endpoints)
        self.timeout = timeout
        self.first_token_timeout = first_token_timeout
        self.retries = retries
        # The read timeout bounds the wait for the first byte (and any gap between stream chunks).
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(5.0, timeout),
                                                          read=first_token_timeout),
                                    transport=transport)

    def close(self) -> None:
        self._client.close()

    # -- public --------------------------------------------------------------------------------
    def chat(self, messages: list[dict], *, max_tokens: int = 512, temperature: float = 0.0,
             response_format: dict | None = None, stop: Sequence[str] | None = None) -> ChatReply:
        """The whole reply. It is read as a stream, so a silent endpoint is skipped after the first-token timeout
        (a non-streamed reply arrives only when complete); nothing is shown before the end, so an endpoint that
        fails midway is replaced by the next one too."""
        body = self._body(messages, max_tokens, temperature, response_format, stop, stream=True)
        failures: list[str] = []
        for endpoint in self.endpoints:
            for attempt in range(self.retries + 1):
                try:
                    return ChatReply("".join(self._stream(endpoint, body)), endpoint)
                except _EndpointFailed as exc:
                    failures.append(f"{endpoint.label}: {exc.reason}")
                    log.warning("LLM endpoint %s failed (attempt %d): %s", endpoint.label, attempt + 1, exc.reason)
                    if not exc.retryable:
                        break
        raise LlmUnavailable(_unavailable_message(failures))

    def stream(self, messages: list[dict], *, max_tokens: int = 512, temperature: float = 0.0,
               stop: Sequence[str] | None = None,
               on_endpoint: Callable[[LlmEndpoint], None] | None = None) -> Iterator[str]:
        """Text deltas as the model writes them. Fallback happens only before the first delta is yielded;
        `on_endpoint` is told which endpoint is answering, before its first delta."""
        body = self._body(messages, max_tokens, temperature, None, stop, stream=True)
        failures: list[str] = []
        for endpoint in self.endpoints:
            for attempt in range(self.retries + 1):
                started = False
                try:
                    for delta in self._stream(endpoint, body):
                        if not started and on_endpoint is not None:
                            on_endpoint(endpoint)
                        started = True
                        yield delta
                    return
                except _EndpointFailed as exc:
                    if started:
                        raise LlmUnavailable(f"{endpoint.label} stopped in the middle of the answer "
                                             f"({exc.reason}); ask again") from exc
                    failures.append(f"{endpoint.label}: {exc.reason}")
                    log.warning("LLM endpoint %s failed (attempt %d): %s", endpoint.label, attempt + 1, exc.reason)
                    if not exc.retryable:
                        break
        raise LlmUnavailable(_unavailable_message(failures))

    # -- one endpoint ------------------------------------------------------------------------------
    def _body(self, messages, max_tokens, temperature, response_format, stop, *, stream: bool) -> dict:
        body: dict = {"messages": messages, "max_tokens": max_tokens, "temperature": temperature, "stream": stream}
        if response_format is not None:
            body["response_format"] = response_format
        if stop:
            body["stop"] = list(stop)
        return body

    def _headers(self, endpoint: LlmEndpoint) -> dict:
        return {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}

    def _stream(self, endpoint: LlmEndpoint, body: dict) -> Iterator[str]:
        started_at = time.monotonic()
        cancellation = current_cancellation()
        deltas = 0
        try:
            with self._client.stream("POST", f"{endpoint.base_url.rstrip('/')}/chat/completions",
                                     json={**body, "model": endpoint.model}, headers=self._headers(endpoint)) as response, \
                    (cancellation.on_cancel(_interrupter(response)) if cancellation else nullcontext()):
                if response.status_code >= 400:
                    response.read()
                    _check_status(response)
                for line in response.iter_lines():
                    raise_if_cancelled()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        event = json.loads(data)
                    except ValueError as exc:
                        raise _EndpointFailed(f"malformed stream event: {data[:200]!r}") from exc
                    if "error" in event:
                        raise _EndpointFailed(f"error event: {str(event['error'])[:200]}")
                    for choice in event.get("choices") or []:
                        delta = (choice.get("delta") or {}).get("content")
                        if delta:
                            deltas += 1
                            yield delta
                    if time.monotonic() - started_at > self.timeout:
                        raise _EndpointFailed(f"the answer took longer than {self.timeout:g} s")
                raise_if_cancelled()  # an interrupted read can look like the end of the stream
        except (GeneratorExit, Cancelled):
            # Leaving the `with` above closed the HTTP stream, which tells the LLM server to stop generating.
            log.info("LLM stream from %s stopped after %d deltas: its reader left", endpoint.label, deltas)
            raise
        except httpx.TimeoutException as exc:
            raise _EndpointFailed(f"no reply within {self.first_token_timeout:g} s ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            if cancellation is not None and cancellation.cancelled:  # the read was interrupted on purpose
                log.info("LLM stream from %s stopped after %d deltas: its reader left", endpoint.label, deltas)
                raise Cancelled("the requester has gone") from exc
            raise _EndpointFailed(f"{type(exc).__name__}: {exc}") from exc


def _interrupter(response: httpx.Response) -> Callable[[], None]:
    """Wakes a thread blocked reading `response` (while the model is still reading the prompt, no line comes for
    seconds): shutting the socket down ends the read at once, where closing it from another thread may not."""
    network_stream = response.extensions.get("network_stream")
    sock = network_stream.get_extra_info("socket") if network_stream is not None else None

    def interrupt() -> None:
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    return interrupt


def _check_status(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    detail = response.text[:200]
    raise _EndpointFailed(f"HTTP {response.status_code}: {detail}", retryable=response.status_code in _RETRYABLE_STATUS)


def _unavailable_message(failures: list[str]) -> str:
    return ("no LLM endpoint answered (" + "; ".join(failures[-4:]) + "). Check ZHIKU_LLM_BASE_URL and "
            "ZHIKU_LLM_FALLBACKS, or use the extractive answer mode (ZHIKU_ANSWER_MODE=extractive)")
