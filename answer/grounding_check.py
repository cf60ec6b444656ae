"""The grounding check: does each generated sentence follow from the passages it cites?

A sentence passes when
- every [n] it cites exists (n within the numbered evidence),
- every number it states (amounts, rates, dates) appears in its cited passages, and
- its content terms are covered by the cited passages (share ≥ min_support), or — when a dense embedder is
  given — its meaning is close to one sentence of them (cosine ≥ min_similarity).
An uncited sentence is checked against all passages and, when one supports it, gets that citation.
How well this separates supported from unsupported sentences is measured by `zhiku eval grounding`.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.core.sentences import sentence_spans
from zhiku.retrieval.script import majority_script

CITATION = re.compile(r"\[(\d{1,3})\]")
# Numbers as written: 1,234.56 / 3.25% / 2025 / 一百 is left to the term overlap.
_NUMBER = re.compile(r"\d+(?:[,，]\d{3})*(?:\.\d+)?")
# How far the closest transcript sentence must lead the next one for a claim in another language to be narrowed to
# it (multilingual-e5-small: English claims against Chinese sentences, tests/test_grounded_answers.py).
NARROW_MARGIN = 0.05


@dataclass(slots=True)
class CheckedSentence:
    text: str                # without its citation markers
    citations: list[int]     # evidence numbers, as valid after the check
    supported: bool
    support: float           # term coverage by the cited passages, 0..1
    reason: str = ""         # why it failed: bad_citation | number_not_in_source | not_supported | uncited


@dataclass(slots=True)
class GroundingReport:
    sentences: list[CheckedSentence] = field(default_factory=list)

    @property
    def supported(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.supported]

    @property
    def unsupported(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if not s.supported]


class GroundingChecker:
    def __init__(self, tokenizer: SparseEncoder, *, min_support: float = 0.6,
                 embed: Callable[[list[str]], np.ndarray] | None = None, min_similarity: float = 0.88):
        self.tokenizer = tokenizer
        self.min_support = min_support
        self.embed = embed
        self.min_similarity = min_similarity

    def check(self, answer: str, passages: Sequence[str]) -> GroundingReport:
        # Citation markers the splitter cut off after "。" belong to the sentence before them.
        pieces: list[str] = []
        for start, end in sentence_spans(answer):
            raw = answer[start:end]
            if pieces and not _has_content(CITATION.sub("", raw)):
                pieces[-1] += raw
            else:
                pieces.append(raw)
        report = GroundingReport()
        for raw in pieces:
            text = CITATION.sub("", raw).strip()
            if _has_content(text):
                report.sentences.append(self.check_sentence(text, [int(n) for n in CITATION.findall(raw)], passages))
        return report

    def check_sentence(self, text: str, cited: list[int], passages: Sequence[str]) -> CheckedSentence:
        valid = [n for n in dict.fromkeys(cited) if 1 <= n <= len(passages)]
        if cited and not valid:
            return CheckedSentence(text, [], False, 0.0, "bad_citation")
        if not valid:
            # Uncited: adopt the passage that supports it best, if one does.
            best = max(range(1, len(passages) + 1), default=None,
                       key=lambda n: self.support(text, [passages[n - 1]]))
            if best is None:
                return CheckedSentence(text, [], False, 0.0, "uncited")
            checked = self.check_sentence(text, [best], passages)
            if not checked.supported:
                checked.citations, checked.reason = [], "uncited"
            return checked
        sources = [passages[n - 1] for n in valid]
        if not self.numbers_in(text, sources):
            return CheckedSentence(text, valid, False, self.support(text, sources), "number_not_in_source")
        support = self.support(text, sources)
        if support >= self.min_support or self._similar(text, sources):
            return CheckedSentence(text, valid, True, support)
        return CheckedSentence(text, valid, False, support, "not_supported")

    def support(self, text: str, sources: Sequence[str]) -> float:
        """Share of the sentence's content terms found in the sources (terms as the sparse index sees them)."""
        terms = set(self.tokenizer.tokenize(text))
        if not terms:
            return 1.0
        joined = "\n".join(sources).lower()
        source_terms = set(self.tokenizer.tokenize(joined))
        # A Chinese term the segmenter cut differently in the source still counts when its characters appear
        # verbatim; a Latin word must be a word of the source ("gold" is not in "Goldenrod").
        found = sum(1 for t in terms if t in source_terms or (_is_cjk_term(t) and t in joined))
        return found / len(terms)

    @staticmethod
    def numbers_in(text: str, sources: Sequence[str]) -> bool:
        """Every number the sentence states is one the sources state (1,234.50 = 1234.5)."""
        known = {_number_value(n) for n in _NUMBER.findall("\n".join(sources))}
        return all(_number_value(n) in known for n in _NUMBER.findall(text))

    def supporting_spans(self, claim: str, passage: str) -> list[tuple[int, int]]:
        """The (start, end) spans of the sentences of `passage` that support `claim`, by the rule the check applies:
        the fewest sentences that together cover the claim's content terms (a sentence holding one of its numbers
        first, then the one adding most terms, while one adds any), kept when they cover at least `min_support` of
        the terms and hold its numbers; else, with a dense embedder and a claim in another script (no shared
        terms), the one sentence closest in meaning when it reaches `min_similarity` or leads the next closest by
        `NARROW_MARGIN` (translations score below `min_similarity` with the small multilingual model, yet the right
        sentence stands out). Empty when no sentence of `passage` supports the claim by itself — e.g. the model read it in
        the passage's wider section."""
        spans = [(s, e) for s, e in sentence_spans(passage) if _has_content(passage[s:e])]
        if not spans:
            return []
        terms = set(self.tokenizer.tokenize(claim))
        numbers = {_number_value(n) for n in _NUMBER.findall(claim)}
        covers, holds = [], []
        for s, e in spans:
            sentence = passage[s:e].lower()
            sentence_terms = set(self.tokenizer.tokenize(sentence))
            covers.append({t for t in terms if t in sentence_terms or (_is_cjk_term(t) and t in sentence)})
            holds.append({_number_value(n) for n in _NUMBER.findall(sentence)} & numbers)
        chosen: list[int] = []
        covered: set[str] = set()
        held: set[str] = set()
        while True:
            gains = [(len(holds[i] - held), len(covers[i] - covered), -i) for i in range(len(spans)) if i not in chosen]
            best = max(gains, default=None)
            if best is None or (best[0] == 0 and best[1] == 0):
                break
            chosen.append(-best[2])
            covered |= covers[-best[2]]
            held |= holds[-best[2]]
        if chosen and held == numbers and terms and len(covered) / len(terms) >= self.min_support:
            return sorted(spans[i] for i in chosen)
        if self.embed is None or majority_script(claim) == majority_script(passage):
            return []  # in one language, a claim the terms do not place is not placed by meaning either
        candidates = spans[:200]
        vectors = self.embed([claim, *(passage[s:e] for s, e in candidates)])
        similarities = vectors[1:] @ vectors[0]
        order = np.argsort(-similarities)
        best = float(similarities[order[0]])
        runner_up = float(similarities[order[1]]) if len(order) > 1 else -1.0
        if best >= self.min_similarity or best - runner_up >= NARROW_MARGIN:
            return [candidates[int(order[0])]]
        return []

    def _similar(self, text: str, sources: Sequence[str]) -> bool:
        if self.embed is None:
            return False
        candidates = [source[s:e] for source in sources for s, e in sentence_spans(source)][:200]
        if not candidates:
            return False
        vectors = self.embed([text, *candidates])
        query, rest = vectors[0], vectors[1:]
        return float(np.max(rest @ query)) >= self.min_similarity


def _is_cjk_term(term: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in term)


def _has_content(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _number_value(number: str) -> str:
    plain = number.replace(",", "").replace("，", "")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return plain.lstrip("0") or "0"
