"""Does the answering sentence state the relation the question asks about, for what the question pins it to?

Why: RGB's negative evidence (docs/benchmarks.md, issue #13, eighth pass) is the question's own subject without its
answer — the same event in another year or edition, before the result, a related fact. It names the question's
people and places and states dates and figures of the asked kind, so "is the subject there" (subject_check) and
"is a value of the asked kind there" (asked_value) are true of it; the sentence gate's best probability ranks such
evidence about as high as the answering one. What differs is whether *one sentence* ties the three together: the
question's relation (its words once the pinned values and the question words are taken out: 男单 冠军 in "2022年澳网
男单冠军", 开幕式 总导演 in "2022年冬奥会开幕式总导演是谁"), the values it pins the answer to (its year, names, titles,
numbers) and a value the question does not already hold, standing next to the relation's words.

A question is split once (`question_relation`); each sentence is read against it (`sentence_relation`, with its
section label: a heading may carry the year or the product). The case-level answerability model
(retrieval/answerability.py) reads these for the sentences the gate ranks highest; it is fitted on training data
only (evaluation/answerability_fit.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from zhiku.retrieval.answer_types import value_spans
from zhiku.retrieval.asked_value import occurrences, span_gap

NEAR_CHARS = 24
# Question words and particles: they ask, they do not name the relation.
_ASKING = set("什么 多少 哪些 哪个 哪家 哪里 哪 怎么 怎样 如何 是否 是不是 能否 可以 吗 呢 吧 几 谁 为什么 请问 是 的 了 在 有 "
              "哪位 哪年 哪一年 何时 多久 多长 几次 几个 第几 what which who whom how when where why does do is are can "
              "could would should much many the a an of to in for was were did".split())
_FIGURE_KINDS = ("amount", "rate", "date", "duration", "count", "phone")


@dataclass(frozen=True, slots=True)
class QuestionRelation:
    pinned: tuple[str, ...]          # years, names, titles, numbers the answer is pinned to (normalised)
    years: frozenset
    relation: dict                   # relation term → IDF weight
    asks_name: bool
    figure_kinds: frozenset          # the figure kinds asked for (answer_types)
    normalised_question: str

    @property
    def mass(self) -> float:
        return sum(self.relation.values()) or 1.0


def question_relation(normalised_question: str, question_terms: dict[str, float], years, entities, numbers,
                      asks_name: bool, kinds: set[str]) -> QuestionRelation:
    """Split the question's content terms (`question_terms`: term → IDF, after the normaliser) into what pins the
    answer (years, names, numbers) and the relation asked about (the rest). A question made only of pinned values
    keeps its non-digit terms as the relation."""
    pinned = tuple(dict.fromkeys([*sorted(years), *entities, *sorted(numbers)]))

    def is_pinned(term: str) -> bool:
        return any(c.isdigit() for c in term) or any(term in p or p in term for p in pinned if len(p) > 1)

    # Single characters (年, 想, 贷) are grammar or pieces of longer words, not the relation.
    relation = {t: w for t, w in question_terms.items() if t not in _ASKING and not is_pinned(t) and len(t) > 1}
    if not relation:
        relation = {t: w for t, w in question_terms.items() if t not in _ASKING and not any(c.isdigit() for c in t)}
    return QuestionRelation(pinned, frozenset(years), relation, asks_name,
                            frozenset(k for k in kinds if k in _FIGURE_KINDS), normalised_question)


def _found(term: str, terms: frozenset, text: str) -> float:
    """1 when the sentence has the term (as a word or inside one); for a CJK term of 3+ characters written
    otherwise ("交付量" / "交付了"), the share of its character bigrams the sentence has, halved."""
    if term in terms or term in text:
        return 1.0
    if len(term) >= 3 and not term.isascii():
        pairs = [term[i:i + 2] for i in range(len(term) - 1)]
        share = sum(p in text for p in pairs) / len(pairs)
        return 0.5 * share if share >= 0.5 else 0.0
    return 0.0




def sentence_relation(rel: QuestionRelation, normalised_sentence: str, sentence_terms: frozenset,
                      label: str = "", names: tuple[str, ...] = (), sentence_years: frozenset = frozenset()
                      ) -> dict[str, float]:
    """What one sentence (normalised; `label`: its section label, normalised) states of the question's relation:

    - `relation_cov`: the relation terms' share (IDF-weighted) the sentence holds;
    - `relation_all`: 1 when it holds every relation term;
    - `pinned_cov`: the share of the pinned values found in the sentence or its label (1 when nothing is pinned);
    - `year_conflict`: the sentence names a year and none of the question's;
    - `value_new`: it holds a value the question lacks — a figure of the asked kind, a name for a name question,
      and for a question that asks with no question word ("2022年澳网男单冠军") a name or any figure;
    - `value_near_relation`: how close such a value stands to a relation term (1 adjacent, 0 at 24 characters);
    - `states_relation`: (relation_cov ≥ 0.75) × value_new × no year conflict × pinned_cov (all of it in one
      sentence).
    """
    text = normalised_sentence
    with_label = text + "\n" + label if label else text
    q = rel.normalised_question
    cov = sum(w * _found(t, sentence_terms, text) for t, w in rel.relation.items()) / rel.mass \
        if rel.relation else 1.0
    every = float(all(_found(t, sentence_terms, text) >= 1.0 for t in rel.relation)) if rel.relation else 1.0
    pinned_cov = sum(p in with_label for p in rel.pinned) / len(rel.pinned) if rel.pinned else 1.0
    conflict = float(bool(rel.years) and bool(sentence_years) and not rel.years & sentence_years)
    kinds = set(rel.figure_kinds)
    open_question = not kinds and not rel.asks_name
    if open_question:
        kinds = {"amount", "rate", "date", "duration", "count"}
    figures = [s for s in value_spans(text, kinds) if text[s[0]:s[1]].strip() and text[s[0]:s[1]].strip() not in q]
    new_names = [n for n in names if n not in q] if (rel.asks_name or open_question) else []
    values = figures + occurrences(text, new_names)
    anchors = occurrences(text, [t for t in rel.relation if t in text])
    values = [v for v in values if not any(a[0] <= v[0] and v[1] <= a[1] for a in anchors)]
    near = max((max(0.0, 1.0 - span_gap(v, a) / NEAR_CHARS) for v in values for a in anchors), default=0.0)
    value_new = float(bool(values))
    return {"relation_cov": cov, "relation_all": every, "pinned_cov": pinned_cov, "year_conflict": conflict,
            "value_new": value_new, "value_near_relation": near,
            "states_relation": float(cov >= 0.75) * value_new * (1.0 - conflict) * pinned_cov,
            "value_text": "\u0001".join(dict.fromkeys(text[a:b].strip() for a, b in values))}  # type: ignore[dict-item]


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))
