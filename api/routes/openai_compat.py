"""OpenAI-compatible chat completions where `model` names a knowledge base (api/openai_format.py does the work).

Every error on these routes has OpenAI's shape, {"error": {"message", "type", "param", "code"}}, so the
OpenAI SDKs raise their usual exceptions (NotFoundError for an unknown model, BadRequestError for a bad body).
Authorization headers are accepted and not checked, as on the rest of the API.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from zhiku.api.deps import current_caller, get_service
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.openai_format import (ChatCompletionRequest, ChatCompletions, OpenAiError, from_validation_error,
                               from_zhiku_error)
from zhiku.api.sse import ReaderAwareStreamingResponse
from zhiku.core.access import Caller
from zhiku.core.errors import ZhikuError

log = logging.getLogger(__name__)


def _error_response(error: OpenAiError) -> JSONResponse:
    return JSONResponse(status_code=error.status, content=error.body())


class _OpenAiErrorsRoute(APIRoute):
    """Turns the errors raised before a response starts into OpenAI-shaped ones."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except OpenAiError as exc:
                return _error_response(exc)
            except RequestValidationError as exc:
                return _error_response(from_validation_error(list(exc.errors())))
            except ZhikuError as exc:
                response = _error_response(from_zhiku_error(exc))
                response.headers.update(getattr(exc, "headers", None) or {})  # Retry-After of a rate limit
                return response
            except Exception:  # noqa: BLE001 - an SDK expects a JSON error body, never a bare 500 page
                log.exception("OpenAI-compatible request failed")
                return _error_response(OpenAiError(500, "the request failed; see the server log",
                                                   code="internal_error"))

        return route


router = APIRouter(tags=["openai-compatible"], prefix="/v1", route_class=_OpenAiErrorsRoute)


def _completions(service: KnowledgeService = Depends(get_service),
                 caller: Caller = Depends(current_caller)) -> ChatCompletions:
    """Every /v1 route goes through this: the knowledge bases (models) are those the caller may ask."""
    return ChatCompletions(service, caller)


@router.get("/models")
def list_models(completions: ChatCompletions = Depends(_completions)):
    """The knowledge bases, as models: `id` is the knowledge base's name (its id is accepted too)."""
    return completions.list_models()


@router.get("/models/{model:path}")
def get_model(model: str, completions: ChatCompletions = Depends(_completions)):
    return completions.get_model(model)


@router.post("/chat/completions", responses={200: {"content": {"text/event-stream": {}}, "description": (
        "A `chat.completion` object, or with stream=true `chat.completion.chunk` events (`data:` lines) ending "
        "in `data: [DONE]`. Non-standard: `citations` (citation [n] is citations[n-1]) and `zhiku` {query, "
        "rewritten, found, mode, llm_model, knowledge_base}; in a stream on the chunk with finish_reason stop")},
    400: {"description": "OpenAI-style error: a malformed body, no user message (bad fields give 400, not 422)"},
    404: {"description": "OpenAI-style error, code model_not_found: `model` names no knowledge base"}})
def chat_completions(body: ChatCompletionRequest, completions: ChatCompletions = Depends(_completions)):
    """The last user message is the question, asked of the knowledge base named by `model`; the earlier
    user/assistant messages make a follow-up standalone. The reply is the cited answer and its sources."""
    chat = completions.prepare(body)
    if not body.stream:
        return completions.complete(chat)
    return ReaderAwareStreamingResponse(completions.stream(chat), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
