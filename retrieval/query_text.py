"""What a query may be before any retrieval work starts on it."""
from __future__ import annotations

from zhiku.core.errors import InvalidInput


def require_query_length(text: str, limit: int) -> str:
    """The query itself, or InvalidInput (422) when it is longer than `limit` characters (ZHIKU_MAX_QUERY_CHARS)."""
    if len(text) > limit:
        raise InvalidInput(f"the query is {len(text):,} characters long; the limit is {limit:,} "
                           "(ZHIKU_MAX_QUERY_CHARS). Ask a shorter question, or search for its key terms.")
    return text
