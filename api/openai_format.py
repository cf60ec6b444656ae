"""OpenAI chat completions over Zhiku: `model` names a knowledge base, the reply is a cited answer.

Everything the /v1 routes need besides HTTP plumbing: the request shape, turning the messages into a question
plus a history for history-aware rewriting, running the answer, and writing it back in OpenAI's wire format
(a `chat.completion` object, or `chat.completion.chunk` server-sent events ending in `data: [DONE]`), errors
included, so OpenAI clients and SDKs work unchanged.

The content is the answer with its [n] markers followed by a sources block ("来源：" for a Chinese question,
"Sources:" otherwise) listing `[n] label`. Two non-standard top-level fields carry the structure for clients
that know Zhiku: `citations` (citation [n] is citations[n-1], each like a /search hit) and `zhiku` (the
standalone query that was searched, whether it was rewritten, found, mode, the knowledge base). In a stream
they ride on the final chunk, the one with finish_reason "stop".
"""
from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhiku.answer.answer_service import AnswerScope
from zhiku.answer.grounded_answerer import Answer
from zhiku.answer.query_rewriter import QueryRewriter
from zhiku.api.converters import hit_out
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.schemas import as_utc
from zhiku.core.cancellation import Cancelled
from zhiku.core.access import SYSTEM_CALLER, Caller, Operation
from zhiku.core.conversation_store import Turn, bound_history
from zhiku.core.errors import NotFound, ZhikuError
from zhiku.core.models import KnowledgeBase

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000  # as /ask
OWNED_BY = "zhiku"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
# The sources block this module appends; taken off assistant messages a client sends back as history.
_SOURCES_BLOCK = re.compile(r"\n\n(?:来源：|Sources:)\n(?:\[\d+\] [^\n]*(?:\n|$))+\s*$")


# -- request ------------------------------------------------------------------------------------
class ChatMessageIn(BaseModel):
    """One message; `content` may be a string or a list of content parts (only text parts are read)."""

    model_config = ConfigDict(extra="allow")  # name, tool_calls, ... are accepted and ignored

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        if not self.content:
            return ""
        return "\n".join(str(part.get("text", "")) for part in self.content
                         if part.get("type") in ("text", "input_text", "output_text"))


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ZhikuOptions(BaseModel):
    """The non-standard `zhiku` request field (with the OpenAI SDK: extra_body={"zhiku": {...}})."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["auto", "extractive", "llm"] | None = Field(None, description="Default: ZHIKU_ANSWER_MODE")
    top_k: int | None = Field(None, ge=1, le=50, description="Passages retrieved as evidence")
    document_ids: list[str] | None = Field(None, description="Answer only from these documents")


class ChatCompletionRequest(BaseModel):
    """OpenAI's request body. Sampling fields (temperature, top_p, max_tokens, seed, tools, ...) are accepted
    and ignored: the answer is grounded and checked sentence by sentence, with the service's own settings."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, description="A knowledge base's name or id (GET /v1/models lists them)")
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    n: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    user: str | None = None
    zhiku: ZhikuOptions | None = None

    @field_validator("n")
    @classmethod
    def _one_choice(cls, n: int | None) -> int | None:
        if n is not None and n != 1:
            raise ValueError("only n=1 is supported: a knowledge base gives one grounded answer")
        return n


# -- errors -------------------------------------------------------------------------------------
class OpenAiError(Exception):
    """An error in OpenAI's shape: {"error": {"message", "type", "param", "code"}} with an HTTP status."""

    def __init__(self, status: int, message: str, type_: str | None = None, code: str | None = None,
                 param: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_ or ("invalid_request_error" if status < 500 else "server_error")
        self.code = code
        self.param = param

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def from_zhiku_error(exc: ZhikuError) -> OpenAiError:
    # OpenAI answers a request it cannot accept with 400 (the SDKs raise BadRequestError); Zhiku's 422s are that.
    status = 400 if exc.http_status == 422 else exc.http_status
    return OpenAiError(status, exc.message, code=exc.code)


def from_validation_error(errors: list[dict]) -> OpenAiError:
    """FastAPI/pydantic validation errors → one 400 naming the first bad field, as OpenAI does."""
    if not errors:
        return OpenAiError(400, "the request body is invalid", code="invalid_request")
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    param = ".".join(loc) or None
    if first.get("type") == "json_invalid":
        return OpenAiError(400, "the request body is not valid JSON", code="invalid_json")
    if first.get("type") == "missing":
        message = f"missing required parameter: '{param}'" if param else "the request needs a JSON body"
        return OpenAiError(400, message, code="missing_required_parameter", param=param)
    message = f"invalid value for '{param}': {first.get('msg', 'invalid')}" if param else first.get("msg", "invalid")
    return OpenAiError(400, message, code="invalid_value", param=param)


def model_not_found(model: str) -> OpenAiError:
    return OpenAiError(404, f"The model '{model}' does not exist: it names no knowledge base. GET /v1/models lists "
                            "the knowledge bases you can use as models.", code="model_not_found", param="model")


# -- messages → question + history ------------------------------------------------------------
def strip_sources(content: str) -> str:
    """An assistant message as this endpoint wrote it, without its sources block."""
    return _SOURCES_BLOCK.sub("", content).strip()


def split_messages(messages: list[ChatMessageIn]) -> tuple[str, list[Turn]]:
    """The last user message is the question; the user/assistant messages before it pair up as history
    (oldest first). System, developer and tool messages carry no knowledge-base question and are skipped."""
    last = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "user"), None)
    if last is None:
        raise OpenAiError(400, "messages must contain a user message: the last one is the question asked of the "
                               "knowledge base", code="missing_user_message", param="messages")
    question = messages[last].text().strip()
    if not question:
        raise OpenAiError(400, "the last user message is empty", code="empty_question", param=f"messages.{last}")
    if len(question) > MAX_QUESTION_CHARS:
        raise OpenAiError(400, f"the question is {len(question)} characters; at most {MAX_QUESTION_CHARS} are "
                               "accepted", code="question_too_long", param=f"messages.{last}")
    history: list[Turn] = []
    for message in messages[:last]:
        if message.role == "user":
            history.append(Turn(message.text().strip(), ""))
        elif message.role == "assistant" and history:
            answer = strip_sources(message.text())
            history[-1].answer = f"{history[-1].answer}\n{answer}".strip() if history[-1].answer else answer
    return question, [t for t in history if t.question]


def standalone_history(history: list[Turn], rules: QueryRewriter) -> list[Turn]:
    """Earlier questions made standalone in turn (by the rule, no model call), as a stored conversation keeps
    each question's rewritten query: a third question then still reaches back to the first one's subject."""
    out: list[Turn] = []
    for turn in history:
        out.append(Turn(rules.rewrite(turn.question, out), turn.answer))
    return out


# -- the answer in OpenAI's format --------------------------------------------------------------
def is_chinese(text: str) -> bool:
    """Mostly Chinese: more CJK characters than Latin words ("白金卡的APR是多少" yes, "the fee of 白金卡?" no)."""
    return len(_CJK.findall(text)) > len(_LATIN_WORD.findall(text))


def sources_block(answer: Answer, question: str) -> str:
    if not answer.found or not answer.citations:
        return ""
    heading = "来源：" if is_chinese(question) else "Sources:"
    lines = [f"[{n}] {hit.citation.label()}" for n, hit in enumerate(answer.citations, start=1)]
    return "\n\n" + heading + "\n" + "\n".join(lines)


def render_content(answer: Answer, question: str) -> str:
    return answer.text + sources_block(answer, question)


def estimate_tokens(text: str) -> int:
    """A rough count without a tokenizer: one per CJK character, one per four other characters."""
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


def usage(prompt: str, completion: str) -> dict:
    prompt_tokens, completion_tokens = estimate_tokens(prompt), estimate_tokens(completion)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def citations_out(answer: Answer) -> list[dict]:
    return [hit_out(hit).model_dump(mode="json") for hit in answer.citations]


def model_object(kb: KnowledgeBase) -> dict:
    created = int(as_utc(kb.created_at).timestamp()) if kb.created_at is not None else 0
    return {"id": kb.name, "object": "model", "created": created, "owned_by": OWNED_BY,
            "zhiku": {"knowledge_base_id": kb.id, "description": kb.description, "language": kb.language}}


def sse_data(payload: dict) -> str:
    """One event as OpenAI sends it: a `data:` line, no event name."""
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n"


SSE_DONE = "data: [DONE]\n\n"


# -- one request --------------------------------------------------------------------------------
@dataclass(slots=True)
class PreparedChat:
    kb: KnowledgeBase
    question: str
    history: list[Turn]
    scope: AnswerScope
    mode: str
    prompt_text: str          # every message's text, for the rough prompt token count
    include_usage: bool
    id: str
    created: int


class ChatCompletions:
    """Runs OpenAI-shaped requests against the knowledge service: rewrite, retrieve, answer, format."""

    def __init__(self, service: KnowledgeService, caller: Caller = SYSTEM_CALLER):
        self.service = service
        self.rt = service.rt
        self.caller = caller

    # models: the knowledge bases the caller may ask
    def resolve_model(self, model: str) -> KnowledgeBase:
        try:
            return self.service.access.readable_kb(self.caller, model, Operation.ASK)
        except NotFound:
            raise model_not_found(model) from None

    def list_models(self) -> dict:
        readable = set(self.service.access.readable_kb_ids(self.caller, Operation.ASK))
        return {"object": "list", "data": [model_object(kb) for kb in self.rt.metadata.list_kbs()
                                           if kb.id in readable]}

    def get_model(self, model: str) -> dict:
        return model_object(self.resolve_model(model))

    # chat
    def prepare(self, request: ChatCompletionRequest) -> PreparedChat:
        """Everything that can be refused is refused here, before a stream starts."""
        kb = self.resolve_model(request.model)
        question, history = split_messages(request.messages)
        s = self.rt.settings
        history = bound_history(history, s.chat_history_turns, s.chat_history_chars)
        options = request.zhiku or ZhikuOptions()
        mode = self.rt.answers.mode(options.mode)  # InvalidInput (→ 400) when llm is asked without an LLM
        scope = self.service.answer_scope([kb.id], options.document_ids, options.top_k, caller=self.caller)
        stream_options = request.stream_options
        return PreparedChat(kb, question, history, scope, mode, "\n".join(m.text() for m in request.messages),
                            bool(request.stream and stream_options and stream_options.include_usage),
                            f"chatcmpl-{uuid.uuid4().hex}", int(time.time()))

    def rewrite(self, chat: PreparedChat) -> str:
        if not chat.history:
            return chat.question
        history = standalone_history(chat.history, QueryRewriter(self.rt.sparse))
        return QueryRewriter(self.rt.sparse, self.rt.llm).rewrite(chat.question, history)

    def extension(self, chat: PreparedChat, query: str, answer: Answer) -> dict:
        return {"query": query, "rewritten": query != chat.question, "found": answer.found, "mode": answer.mode,
                "llm_model": answer.model, "knowledge_base": {"id": chat.kb.id, "name": chat.kb.name}}

    def complete(self, chat: PreparedChat) -> dict:
        query = self.rewrite(chat)
        answer = self.rt.answers.answer(query, chat.scope, chat.mode)
        content = render_content(answer, chat.question)
        return {"id": chat.id, "object": "chat.completion", "created": chat.created, "model": chat.kb.name,
                "system_fingerprint": None,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None},
                             "logprobs": None, "finish_reason": "stop"}],
                "usage": usage(chat.prompt_text, content),
                "citations": citations_out(answer), "zhiku": self.extension(chat, query, answer)}

    def _chunk(self, chat: PreparedChat, delta: dict, finish_reason: str | None = None, **extra: Any) -> dict:
        return {"id": chat.id, "object": "chat.completion.chunk", "created": chat.created, "model": chat.kb.name,
                "system_fingerprint": None,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
                **extra}

    def stream(self, chat: PreparedChat) -> Iterator[str]:
        """The SSE body: the role, content deltas (checked sentences), the sources, the final chunk with
        finish_reason "stop" (and citations, zhiku), the usage chunk if asked for, then [DONE]. A failure
        after the first byte becomes an `error` event (OpenAI's SDK raises APIError on it) and ends the stream."""
        yield sse_data(self._chunk(chat, {"role": "assistant", "content": ""}))
        try:
            query = self.rewrite(chat)
            streamed = ""
            pending_space = ""  # a delta's trailing separator goes out only if more text follows
            final: Answer | None = None
            for event in self.rt.answers.stream(query, chat.scope, chat.mode):
                if event.kind != "delta":
                    final = event.answer
                    continue
                body = event.text.rstrip()
                if body:
                    piece = pending_space + body if streamed else body
                    streamed += piece
                    pending_space = event.text[len(body):] or ""
                    yield sse_data(self._chunk(chat, {"content": piece}))
            assert final is not None
            if not streamed:
                tail = final.text
            elif not final.found:  # sentences went out, then the answer as a whole was judged unsupported
                tail = "\n\n" + final.text
            else:
                tail = ""
            tail += sources_block(final, chat.question)
            if tail:
                streamed += tail
                yield sse_data(self._chunk(chat, {"content": tail}))
            yield sse_data(self._chunk(chat, {}, "stop", citations=citations_out(final),
                                       zhiku=self.extension(chat, query, final)))
            if chat.include_usage:
                yield sse_data({"id": chat.id, "object": "chat.completion.chunk", "created": chat.created,
                                "model": chat.kb.name, "system_fingerprint": None, "choices": [],
                                "usage": usage(chat.prompt_text, streamed)})
            yield SSE_DONE
        except Cancelled:
            return  # the reader left (api/sse.ReaderAwareStreamingResponse): nobody to tell
        except ZhikuError as exc:
            yield sse_data(from_zhiku_error(exc).body())
        except Exception:  # noqa: BLE001 - the stream has started: the client can only be told in-band
            log.exception("chat completion stream failed")
            yield sse_data(OpenAiError(500, "the answer failed; see the server log", code="internal_error").body())
