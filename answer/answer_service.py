"""Answers from a scope of the knowledge base: retrieval, then the extractive or the grounded LLM answer.

One place decides the mode (ZHIKU_ANSWER_MODE), the "not found" gate before any generation, and the
conversion of both answerers' output to one Answer, streamed sentence by sentence. The gate is the fitted
answerability decision of the extractive answerer's selector (retrieval/answer_selector.py) in both modes: no
evidence sentence likely enough to state the answer, no answer. An LLM answer is checked once more against
the passages it cites: cited passages about another subject than the question's ("汽车贷款最长几年"
answered from the mortgage policy) do not reach the operating point, and the answer becomes "not found".
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
                 grounded: GroundedAnswerer | None, *, default_mode: str = "auto", screen: Screen | None = None):
        self.retrieve = retrieve
        self.screen = screen
        self.tokenizer = tokenizer
        self.extractive = extractive
        self.grounded = grounded
        self.default_mode = default_mode

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
        if mode == "llm":
            if not self.answerable(question, hits):
                yield AnswerEvent("final", answer=Answer(NOT_FOUND, [], [], False, mode,
                                                         total_seconds=time.monotonic() - started))
                return
            yield from self._guarded(question, self.grounded.stream(question, hits), started)
            return
        result = self.extractive.answer(question, hits)
        sentences = [AnswerSentenceOut(s.text, [s.citation]) for s in result.sentences]
        for i, sentence in enumerate(sentences):
            yield AnswerEvent("delta", f"{sentence.text}[{sentence.citations[0]}]" + (" " if i < len(sentences) - 1
                                                                                       else ""))
        elapsed = time.monotonic() - started
        yield AnswerEvent("final", answer=Answer(result.answer, sentences, result.hits, result.found, "extractive",
                                                 time_to_first_token=elapsed, total_seconds=elapsed,
                                                 confidence=result.confidence))

    def answerable(self, question: str, hits: list[SearchHit]) -> bool:
        """Is there evidence worth answering from? Some sentence of it must be likely enough to state the answer
        (the selector's probability at or above the operating point)."""
        return bool(hits) and self.extractive.confidence(question, hits) >= self.extractive.min_confidence

    def _guarded(self, question: str, events: Iterator[AnswerEvent], started: float) -> Iterator[AnswerEvent]:
        """The LLM's events, with its final answer refused when the passages it cites do not answer the question
        (sentences already streamed are followed by a final "not found", which the client shows instead)."""
        for event in events:
            if event.kind == "final" and event.answer is not None and event.answer.found \
                    and not self.answerable(question, event.answer.citations):
                refused = event.answer
                yield AnswerEvent("final", answer=Answer(NOT_FOUND, [], [], False, refused.mode, refused.model,
                                                         removed=refused.removed,
                                                         time_to_first_token=refused.time_to_first_token,
                                                         total_seconds=time.monotonic() - started))
                continue
            yield event
