"""A chunk's terms, kept with the chunk in the vector store so the second stage never tokenises a candidate.

The second stage compares the query's terms with each candidate's (coverage, proximity): tokenising 30
candidates with jieba on every query was half of the pipeline's time at 100k chunks. The indexer tokenises
the chunk's text once, when it writes the point, and keeps the terms in the payload:

- `terms`: the terms of the chunk's `text` (not its embedding text: the second stage reads `text`), in order,
  joined by one space (a term never holds whitespace: the tokenizer splits on it), so a 500-character chunk
  costs about 1 KB of payload (measured in docs/benchmarks.md);
- `terms_by`: which tokenizer made them (`TERMS_ID`). Terms made by another tokenizer, or missing (stores
  written before this field), are ignored and the second stage tokenises the text itself, as before: old
  stores keep working, only slower (each candidate is tokenised the first time a process meets it, as
  before). `zhiku reindex` writes the terms (the embedding cache spares re-embedding: it costs the tokenising);
  `zhiku doctor` does not check for them yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TERMS_FIELD = "terms"
TERMS_BY_FIELD = "terms_by"
# jieba's search-mode segmentation with sparse_encoder's stop words; change the suffix whenever either changes
# (stored terms with another id are not used).
TERMS_ID = "jieba-0.42.1/1"


def terms_id(tokenizer: Any) -> str | None:
    """The id of the terms `tokenizer.tokenize` makes, None when unknown (stored terms are then never used)."""
    return getattr(tokenizer, "terms_id", None)


def terms_payload(tokenizer: Any, text: str, terms: list[str] | None = None) -> dict[str, str]:
    """The payload fields that keep `text`'s terms (`terms`: already tokenised); empty for a tokenizer whose
    terms have no id."""
    made_by = terms_id(tokenizer)
    if made_by is None:
        return {}
    if terms is None:
        terms = tokenizer.tokenize(text)
    return {TERMS_FIELD: " ".join(terms), TERMS_BY_FIELD: made_by}


@dataclass(frozen=True, slots=True)
class StoredTerms:
    """The terms a point's payload holds, as written (decoded only when a second stage reads them)."""

    joined: str
    made_by: str

    @classmethod
    def of(cls, payload: dict[str, Any]) -> "StoredTerms | None":
        joined, made_by = payload.get(TERMS_FIELD), payload.get(TERMS_BY_FIELD)
        if not isinstance(joined, str) or not isinstance(made_by, str):
            return None
        return cls(joined, made_by)

    def for_tokenizer(self, tokenizer: Any) -> list[str] | None:
        """The terms, if `tokenizer` would make the same ones; None: tokenise the text again."""
        if self.made_by != terms_id(tokenizer):
            return None
        return self.joined.split(" ") if self.joined else []


def encode_chunk(sparse: Any, embedding_text: str, text: str) -> tuple[Any, dict[str, str]]:
    """The chunk's sparse vector (of `embedding_text`, which ends with `text`) and the payload fields keeping
    `text`'s terms, tokenising once: the tokenizer splits at the newline between the heading path and the text,
    so the terms of the whole are the heading's followed by the text's."""
    if terms_id(sparse) is None:
        return sparse.encode_document(embedding_text), {}
    terms = sparse.tokenize(text)
    encode_terms = getattr(sparse, "encode_terms", None)
    head = embedding_text[:len(embedding_text) - len(text)]
    if encode_terms is None or not embedding_text.endswith(text) or (head and not head.endswith("\n")):
        vector = sparse.encode_document(embedding_text)
    else:
        vector = encode_terms((sparse.tokenize(head) if head else []) + terms)
    return vector, terms_payload(sparse, text, terms)
