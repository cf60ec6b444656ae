"""Errors a user can act on. Each maps to one HTTP status and says what to do."""
from __future__ import annotations


class ZhikuError(Exception):
    http_status = 400
    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(ZhikuError):
    http_status = 422
    code = "invalid_input"


class UnsupportedFileType(ZhikuError):
    http_status = 415
    code = "unsupported_file_type"


class EmptyFile(ZhikuError):
    http_status = 422
    code = "empty_file"


class FileTooLarge(ZhikuError):
    http_status = 413
    code = "file_too_large"


class LimitExceeded(FileTooLarge):
    """A document goes over one of the resource limits of ingestion (size unpacked, pages, rows, chunks, time);
    the message names the limit and the setting that raises it."""

    code = "limit_exceeded"


class CorruptFile(ZhikuError):
    """The bytes do not parse as the format their name/type claims."""

    http_status = 422
    code = "corrupt_file"


class EncryptedFile(ZhikuError):
    http_status = 422
    code = "encrypted_file"


class NoTextFound(ZhikuError):
    """The file parsed but holds no extractable text (e.g. a scanned PDF before OCR is enabled)."""

    http_status = 422
    code = "no_text"


class NotFound(ZhikuError):
    http_status = 404
    code = "not_found"


class Forbidden(ZhikuError):
    """The caller may see the object but not do this to it; the message says who may (issue #11)."""

    http_status = 403
    code = "forbidden"


class Conflict(ZhikuError):
    http_status = 409
    code = "conflict"


class ConfigurationError(ZhikuError):
    http_status = 500
    code = "configuration_error"


class EmbeddingServiceError(ZhikuError):
    """A remote model endpoint failed; the job can be retried once it is back."""

    http_status = 503
    code = "embedding_service_unavailable"


class LlmUnavailable(ZhikuError):
    """Every configured LLM endpoint failed or timed out; the request can be retried, or asked extractively."""

    http_status = 503
    code = "llm_unavailable"


class RateLimited(ZhikuError):
    """Too many requests from one client; the reply carries Retry-After."""

    http_status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class Unauthenticated(ZhikuError):
    """No valid credential: sign in, or send `Authorization: Bearer <API key>`."""

    http_status = 401
    code = "unauthenticated"

    def __init__(self, message: str = "Sign in first, or send an API key as 'Authorization: Bearer <key>'."):
        super().__init__(message)
        self.headers = {"WWW-Authenticate": 'Bearer realm="zhiku"'}


class Forbidden(ZhikuError):
    """The caller is known but may not do this."""

    http_status = 403
    code = "forbidden"
