"""Answers from a scope of the knowledge base: retrieval, then the extractive or the grounded LLM answer.

One place decides the mode (ZHIKU_ANSWER_MODE), the "not found" gate before any generation, and the
conversion of both answerers' output to one Answer, streamed sentence by sentence.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from zhiku.answer.grounded_answerer import Answer, AnswerEvent, AnswerSentenceOut, GroundedAnswerer
from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.retrieval.extractive_answer import NOT_FOUND, ExtractiveAnswerer
from zhiku.retrieval.search_hit import SearchHit


@dataclass(slots=True)
class AnswerScope:
    knowledge_bases: list[str] | None = None
    document_ids: list[str] | None = None
    principals: list[str] | None = None
    top_k: int | None = None
    # Access beyond principals (issue #11): knowledge bases whose every document the caller reads, and the
    # readable documents for the knowledge graph (None: unrestricted).
    full_access_kb_ids: list[str] = field(default_factory=list)
    readable_document_ids: list[str] | None = None


Retrieve = Callable[[str, AnswerScope], list[SearchHit]]
# The guardrails' screen of a question and its evidence: a fixed reply (refused topic, instructions aimed at the
# model) or None, and the hits that may serve as evidence (passages flagged at ingestion left out).
Screen = Callable[[str, list[SearchHit]], "tuple[str | None, list[SearchHit]]"]


class AnswerService:
    def __init__(self, retrieve: Retrieve, tokenizer: SparseEncoder, extractive: ExtractiveAnswerer,
                 grounded: GroundedAnswerer | None, *, default_mode: str = "auto", min_relevance: float = 0.3,
                 screen: Screen | None = None):
        self.retrieve = retrieve
        self.screen = screen
        self.tokenizer = tokenizer
        self.extractive = extractive
        self.grounded = grounded
        self.default_mode = default_mode
        self.min_relevance = min_relevance

    def mode(self, requested: str | None = None) -> str:
        mode = requested or self.default_mode
        if mode == "auto":
            return "llm" if self.grounded is not None else "extractive"
        if mode == "llm" and self.grounded is None:
            from zhiku.core.errors import InvalidInput

            raise InvalidInput("no LLM is configured: set ZHIKU_LLM_BASE_URL (or ZHIKU_LLM_START_LOCAL=true), or ask "
                               "with mode 'extractive'")
        return mode

    def answer(self, question: str, scope: AnswerScope, mode: str | None = None) -> Answer:
        return self.answer_from_hits(question, self.retrieve(question, scope), mode)

    def answer_from_hits(self, question: str, hits: list[SearchHit], mode: str | None = None) -> Answer:
        final = None
        for event in self.stream_from_hits(question, hits, mode):
            if event.kind == "final":
                final = event.answer
        assert final is not None
        return final

    def stream(self, question: str, scope: AnswerScope, mode: str | None = None) -> Iterator[AnswerEvent]:
        yield from self.stream_from_hits(question, self.retrieve(question, scope), mode)

    def stream_from_hits(self, question: str, hits: list[SearchHit], mode: str | None = None) -> Iterator[AnswerEvent]:
        started = time.monotonic()
        mode = self.mode(mode)
        refusal, hits = self.screen(question, hits) if self.screen is not None else (None, hits)
        if refusal is not None:
            yield AnswerEvent("final", answer=Answer(refusal, [], [], False, mode,
                                                     total_seconds=time.monotonic() - started))
            return
        if not self.relevant(question, hits):
            yield AnswerEvent("final", answer=Answer(NOT_FOUND, [], [], False, mode,
                                                     total_seconds=time.monotonic() - started))
            return
        if mode == "llm":
            yield from self.grounded.stream(question, hits)
            return
        result = self.extractive.answer(question, hits)
        sentences = [AnswerSentenceOut(s.text, [s.citation]) for s in result.sentences]
        for i, sentence in enumerate(sentences):
            yield AnswerEvent("delta", f"{sentence.text}[{sentence.citations[0]}]" + (" " if i < len(sentences) - 1
                                                                                       else ""))
        elapsed = time.monotonic() - started
        yield AnswerEvent("final", answer=Answer(result.answer, sentences, result.hits, result.found, "extractive",
                                                 time_to_first_token=elapsed, total_seconds=elapsed))

    def relevant(self, question: str, hits: list[SearchHit]) -> bool:
        """Is there evidence worth answering from? Some passage (with its section: the file name and headings
        the evidence is shown with) must share enough of the question's terms."""
        terms = set(self.tokenizer.tokenize(question))
        if not hits:
            return False
        if not terms:
            return True
        for hit in hits:
            text = hit.about_text().lower()
            found = set(self.tokenizer.tokenize(text))
            coverage = sum(1 for t in terms if t in found or t in text) / len(terms)
            if coverage >= self.min_relevance:
                return True
        return False
