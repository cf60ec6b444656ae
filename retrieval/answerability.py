"""Is the question answered by this evidence at all? A case-level decision over the sentences the gate ranks highest.

The sentence gate (retrieval/answer_selector.py) gives each sentence P(it states the answer); its maximum was the
answerability score. It reads each feature on its own (a logistic regression), so a sentence about the question's
subject, with its year somewhere and a figure somewhere, scores like one that states the asked relation for that
year with the figure next to it — and RGB's negatives are the first kind (same event, another edition, before the
result). This model reads, for the most likely sentences, whether one sentence ties the relation, the pinned values
and a new value together (retrieval/answer_relation.py), and whether other passages repeat the value it gives, next
to the gate's own score. A logistic regression over those, fitted on training cases only — answerable ones and
unanswerable ones made like RGB's negatives (evaluation/answerability_fit.py: the answer's sentences removed from its
own paragraph among the same article's others; the question's year or name altered; the same article's other
paragraphs) — gives P(answerable); its operating point was chosen on out-of-fold training scores by a rule fixed
before any evaluation run (docs/benchmarks.md, branch s28-answers13).

Weights: data/answerability.json. Without that file (or with `ZHIKU_ANSWER_RELATION_CHECK=false`) the gate's
maximum stays the score.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from zhiku.retrieval.answer_relation import QuestionRelation, logit, question_relation, sentence_relation
from zhiku.retrieval.answer_selector import AnswerSelector, ScoredSentence, _idf_table
from zhiku.retrieval.answer_types import question_kinds
from zhiku.retrieval.asked_value import asks_for_name, sentence_names
from zhiku.retrieval.constraint_match import question_facts, text_facts
from zhiku.retrieval.script import majority_script_by_words
from zhiku.retrieval.search_hit import SearchHit

WEIGHTS_FILE = Path(__file__).with_name("data") / "answerability.json"
TOP = 3  # the sentences read: the gate's most likely

FEATURES = ("gate_logit", "gate_margin", "top_relation_cov", "top_relation_all", "top_pinned_cov",
            "top_value_new", "top_value_near", "top_states_relation", "top_year_conflict",
            "best_states_relation", "best_relation_near", "value_echo")


@dataclass(slots=True)
class AnswerabilityWeights:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> "AnswerabilityWeights":
        names = FEATURES
        return cls(names, np.asarray([data["mean"].get(n, 0.0) for n in names]),
                   np.asarray([data["scale"].get(n, 1.0) for n in names]),
                   np.asarray([data["coef"].get(n, 0.0) for n in names]), float(data["intercept"]),
                   float(data["threshold"]), data.get("meta", {}))

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "AnswerabilityWeights":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_dict(self) -> dict:
        return {"features": list(self.features),
                "mean": {n: round(float(v), 6) for n, v in zip(self.features, self.mean)},
                "scale": {n: round(float(v), 6) for n, v in zip(self.features, self.scale)},
                "coef": {n: round(float(c), 5) for n, c in zip(self.features, self.coef)},
                "intercept": round(self.intercept, 5), "threshold": round(self.threshold, 4), "meta": self.meta}

    def probability(self, row: np.ndarray) -> float:
        z = float(((row - self.mean) / self.scale) @ self.coef + self.intercept)
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def default_weights() -> AnswerabilityWeights | None:
    return AnswerabilityWeights.load() if WEIGHTS_FILE.exists() else None


class AnswerabilityCheck:
    """P(the evidence answers the question) from the ranked sentences (ExtractiveAnswerer.rank's output)."""

    def __init__(self, selector: AnswerSelector, weights: AnswerabilityWeights | None = None):
        self.selector = selector
        self._weights = weights

    @property
    def weights(self) -> AnswerabilityWeights | None:
        if self._weights is None:
            self._weights = default_weights()
        return self._weights

    def relation(self, question: str) -> QuestionRelation:
        normaliser = self.selector.normaliser
        q_norm = normaliser.normalise(question)
        q_terms = self.selector.question_terms(q_norm)
        words = {t: w for t, w in q_terms.items() if not any(c.isdigit() for c in t)} or q_terms
        facts = question_facts(q_norm, words, _idf_table()[0], question=question)
        return question_relation(q_norm, q_terms, facts.years, facts.entities, facts.numbers,
                                 asks_for_name(q_norm), question_kinds(q_norm))

    def features(self, question: str, ranked: list[ScoredSentence], hits: list[SearchHit]) -> dict[str, float]:
        """The case's features (see FEATURES); `ranked`: every scored sentence, any order."""
        top = sorted(ranked, key=lambda s: -s.probability)[:TOP]
        if not top:
            return {name: 0.0 for name in FEATURES}
        rel = self.relation(question)
        normaliser = self.selector.normaliser
        read = []
        for s in top:
            s_norm = normaliser.normalise(s.text)
            hit = hits[s.hit_rank]
            label = normaliser.normalise(hit.section_label())
            names = sentence_names(s_norm, s.text, majority_script_by_words(s.text) == "latin")
            read.append(sentence_relation(rel, s_norm, frozenset(self.selector.terms(s_norm)), label, names,
                                          text_facts(s_norm).years))
        first = read[0]
        second = top[1].probability if len(top) > 1 else 0.0
        values = [v for v in str(first["value_text"]).split("\u0001") if len(v) >= 2]
        echo = 0.0
        if values:
            others = [normaliser.normalise(h.about_text()) for i, h in enumerate(hits) if i != top[0].hit_rank]
            echo = sum(any(v in text for v in values) for text in others) / len(others) if others else 0.0
        return {"gate_logit": logit(top[0].probability),
                "gate_margin": logit(top[0].probability) - logit(second) if second > 0 else 5.0,
                "top_relation_cov": first["relation_cov"], "top_relation_all": first["relation_all"],
                "top_pinned_cov": first["pinned_cov"], "top_value_new": first["value_new"],
                "top_value_near": first["value_near_relation"], "top_states_relation": first["states_relation"],
                "top_year_conflict": first["year_conflict"],
                "best_states_relation": max(r["states_relation"] for r in read),
                "best_relation_near": max(r["relation_cov"] * r["value_near_relation"] for r in read),
                "value_echo": echo}

    def probability(self, question: str, ranked: list[ScoredSentence], hits: list[SearchHit]) -> float | None:
        """P(answerable), or None without weights (the gate's maximum stays the score)."""
        weights = self.weights
        if weights is None or not ranked:
            return None
        values = self.features(question, ranked, hits)
        return weights.probability(np.asarray([values[n] for n in FEATURES], dtype=float))
