"""Grounded synthesis: an LLM answers from numbered evidence; every sentence is checked before it is shown.

The model's stream is cut into sentences (with the [n] markers that follow them); each sentence goes
through the grounding check as soon as it is complete, so what reaches the user has already been checked.
Citations are renumbered to the passages actually cited, in order of first use. A reply of NOT_FOUND, or
one with no supported sentence left, becomes the "not found in the knowledge base" answer.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from zhiku.answer.consistency_check import ConsistencyCheck
from zhiku.answer.evidence import Evidence, format_evidence, number_evidence
from zhiku.answer.grounding_check import CITATION, CheckedSentence, GroundingChecker
from zhiku.answer.llm_client import LlmClient
from zhiku.core.errors import LlmUnavailable
from zhiku.answer.prompts import ANSWER_SYSTEM, ANSWER_USER, NOT_FOUND_MARK
from zhiku.retrieval.extractive_answer import NOT_FOUND
from zhiku.retrieval.search_hit import SearchHit

log = logging.getLogger(__name__)

# A sentence is complete at terminal punctuation (with closing quotes and its [n] markers) or a line break.
_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』）)]*(?:\s*\[\d{1,3}\])*|(?<=[a-z0-9\]])\.(?:\s*\[\d{1,3}\])*(?=\s)|\n+")
_REFUSAL = re.compile(r"NOT[_ ]?FOUND|没有找到|未找到|无法回答|不包含|没有提供|未提供|cannot answer|does not contain|"
                      r"not (?:found|mentioned|provided)", re.I)


@dataclass(slots=True)
class AnswerSentenceOut:
    text: str
    citations: list[int]   # numbers into Answer.citations (1-based), after renumbering
    supported: bool = True
    reason: str = ""


@dataclass(slots=True)
class Answer:
    text: str
    sentences: list[AnswerSentenceOut]
    citations: list[SearchHit]          # [n] is citations[n - 1]
    found: bool
    mode: str                           # llm | extractive
    model: str | None = None
    removed: list[CheckedSentence] = field(default_factory=list)  # sentences the grounding check took out
    time_to_first_token: float | None = None
    total_seconds: float | None = None
    confidence: float | None = None     # extractive: P(the best evidence sentence states the answer)


@dataclass(slots=True)
class AnswerEvent:
    """One step of a streamed answer: `delta` text (a checked sentence), then one `final` Answer."""

    kind: str  # delta | final
    text: str = ""
    answer: Answer | None = None


class GroundedAnswerer:
    def __init__(self, llm: LlmClient, checker: GroundingChecker, *, evidence_limit: int = 5,
                 evidence_chars: int = 700, max_tokens: int = 512, action: str = "remove",
                 consistency: ConsistencyCheck | None = None, narrowing: GroundingChecker | None = None):
        self.narrowing = narrowing or checker  # finds the transcript sentences a citation of a recording narrows to
        self.consistency = consistency if consistency is not None and consistency.samples > 1 else None
        self.llm = llm
        self.checker = checker
        self.evidence_limit = evidence_limit
        self.evidence_chars = evidence_chars
        self.max_tokens = max_tokens
        self.action = action  # remove | flag

    def messages(self, question: str, evidence: list[Evidence]) -> list[dict]:
        return [{"role": "system", "content": ANSWER_SYSTEM},
                {"role": "user", "content": ANSWER_USER.format(evidence=format_evidence(evidence), question=question)}]

    def answer(self, question: str, hits: list[SearchHit]) -> Answer:
        final = None
        for event in self.stream(question, hits):
            if event.kind == "final":
                final = event.answer
        assert final is not None
        return final

    def stream(self, question: str, hits: list[SearchHit]) -> Iterator[AnswerEvent]:
        started = time.monotonic()
        evidence = number_evidence(hits, self.evidence_limit, self.evidence_chars)
        passages = [e.text for e in evidence]
        renumber: dict[int, int] = {}
        kept: list[AnswerSentenceOut] = []
        removed: list[CheckedSentence] = []
        refusals: list[str] = []
        first_token_at: float | None = None
        raw = ""
        buffer = ""
        answering: list[str] = []  # the model of the endpoint that answered (a fallback, maybe)
        samples = self._samples(question, evidence)

        def emit(piece: str) -> Iterator[AnswerEvent]:
            nonlocal first_token_at
            if _starts_with_refusal(raw):
                return
            for sentence in self.checker.check(piece, passages).sentences:
                if NOT_FOUND_MARK in sentence.text.upper().replace(" ", "_"):
                    refusals.append(sentence.text)  # "[2] NOT_FOUND": the model says a passage lacks the answer
                    continue
                if sentence.supported and samples is not None and not self.consistency.agreed(sentence.text, samples):
                    sentence.supported, sentence.reason = False, "not_consistent"
                if not sentence.supported:
                    removed.append(sentence)
                    if self.action == "remove":
                        continue
                numbers = [renumber.setdefault(n, len(renumber) + 1) for n in sentence.citations]
                out = AnswerSentenceOut(sentence.text, numbers, sentence.supported, sentence.reason)
                kept.append(out)
                if first_token_at is None:
                    first_token_at = time.monotonic() - started
                yield AnswerEvent("delta", _render(out) + " ")

        try:
            for delta in self.llm.stream(self.messages(question, evidence), max_tokens=self.max_tokens,
                                         on_endpoint=lambda endpoint: answering.append(endpoint.model)):
                raw += delta
                buffer += delta
                # Emit every complete sentence; keep the unfinished tail (its [n] may still be coming).
                cut = 0
                for match in _SENTENCE_END.finditer(buffer):
                    if match.end() == len(buffer) and not match.group().startswith("\n"):
                        break  # citations may follow at the very end: wait for more text
                    cut = match.end()
                if cut:
                    piece, buffer = buffer[:cut], buffer[cut:]
                    yield from emit(piece)
            if buffer.strip():
                yield from emit(buffer)
        except LlmUnavailable as exc:
            if not kept:
                raise
            # The user has already read checked sentences: end the answer with them rather than lose them.
            log.warning("the LLM stopped mid-answer (%s); ending the answer after %d checked sentences",
                        exc.message[:200], len(kept))

        refused = _starts_with_refusal(raw) or (not kept and (refusals or _REFUSAL.search(raw) is not None))
        found = bool([s for s in kept if s.supported]) and not refused
        cited_hits = [evidence[n - 1].hit for n, _ in sorted(renumber.items(), key=lambda kv: kv[1])]
        if found:
            cited_hits = narrow_citations(kept, cited_hits, self.narrowing)
        answer = Answer(text=" ".join(_render(s) for s in kept) if found else NOT_FOUND,
                        sentences=kept if found else [], citations=cited_hits if found else [], found=found,
                        mode="llm", model=answering[0] if answering else None, removed=removed, time_to_first_token=first_token_at,
                        total_seconds=time.monotonic() - started)
        yield AnswerEvent("final", answer=answer)


    def _samples(self, question: str, evidence: list[Evidence]) -> list[str] | None:
        """The further samples the consistency check compares the answer with (None when it is off)."""
        if self.consistency is None:
            return None
        out = []
        for _ in range(self.consistency.samples - 1):
            try:
                out.append(self.llm.chat(self.messages(question, evidence), max_tokens=self.max_tokens,
                                         temperature=self.consistency.temperature).text)
            except LlmUnavailable as exc:
                log.warning("a consistency sample failed (%s); comparing with the others", exc.message[:200])
        return out


def narrow_citations(sentences: list[AnswerSentenceOut], citations: list[SearchHit],
                     checker: GroundingChecker) -> list[SearchHit]:
    """Each cited passage of a recording cites only the transcript sentences that support the answer sentences
    citing it (found as the grounding check finds support): its time range and character span become theirs, as
    an extractive citation's do. A passage where no sentence supports a claim by itself keeps its whole range."""
    narrowed = []
    for number, hit in enumerate(citations, start=1):
        claims = [s.text for s in sentences if number in s.citations and s.supported]
        spans: set[tuple[int, int]] = set()
        for claim in claims if hit.payload.get("time_spans") else []:
            found = checker.supporting_spans(claim, hit.text)
            if not found:
                spans.clear()  # one claim placed nowhere in particular: the whole passage stays cited
                break
            spans.update(found)
        narrowed.append(hit.narrowed_to(sorted(spans)) if spans else hit)
    return narrowed


def _render(sentence: AnswerSentenceOut) -> str:
    marks = "".join(f"[{n}]" for n in sentence.citations)
    flag = "" if sentence.supported else "⚠"
    return f"{sentence.text}{marks}{flag}"


def _starts_with_refusal(raw: str) -> bool:
    return raw.strip().upper().replace(" ", "_").startswith(NOT_FOUND_MARK)


def strip_citations(text: str) -> str:
    return CITATION.sub("", text)
