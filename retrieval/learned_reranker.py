"""The learned second stage: first-stage evidence and query–passage match features, combined by weights fitted
on training data (not on the evaluation sets), as a bounded adjustment of the first-stage order.

Every candidate of the fused head gets features that mean the same thing on any corpus and in either language:
its fused score and rank, both first-stage retrievers' normalised scores and ranks (a passage absent from a
list has rank 0 there), the dense similarity relative to the best candidate's, the offline lexical features of
`FeatureReranker` (character-bigram and term coverage, proximity, longest verbatim stretch), coverage of the
question's rare terms (each term weighted by its inverse document frequency among the candidates, so a term
every candidate shares counts little) and whether the passage holds the kind of value the question asks for
(amount, rate, date, …), and whether it contradicts what the question pins its answer to — another year, quantity or
title than the question names (`constraint_conflict`), or the share of those values it lacks (`constraint_missing`;
values the question joins by a conjunction count as one, stated by any of them; `dated_conflict` and `dated_missing` are the
same with a year counted only where it dates the passage — its lead sentence or a calendar date — so a passage naming
only background years, or none, neither contradicts nor misses the question's year: question_constraints.dated_years):
news corpora hold the same story for several years, which term overlap cannot tell apart. The weights are a small data file (data/second_stage.json) fitted by
`zhiku eval fit-second-stage` with a pairwise logistic loss on question–passage pairs from ../shared/train
(DRCD and the CMRC 2018 trial set: the answer's passage against the BM25 and embedding hard negatives the
first stage itself returns).

Safe by construction: the linear model's scores of a query's candidates are mapped onto the range of their
fused scores (the model's opinion, in fused-score units), and the stage returns
`fused + bound · tanh((opinion − fused) / bound)`: no candidate moves more than `bound` from its fused score, so
it can overtake only candidates whose fused score is less than 2 · `bound` above its own, however strongly the
features favour it (weighted-score fusion puts the best candidate at about 1 and the 50th at 0).
The bound and the L2 penalty are chosen by cross-validation on training folds, the smallest bound within one
standard error of the best (weights files without a bound keep the unbounded linear score). The training data
is Chinese only, so the weights name the query script they were fitted on (`scripts`); a query in another
script (English) keeps the first-stage order: on the English dev sets the Chinese-fitted weights lowered MRR@10.

A passage's terms, bigrams and value kinds are computed once per chunk and kept in a bounded cache keyed by
the chunk id (and its text), so a search re-tokenises only the query and chunks it has not seen yet.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.retrieval.answer_types import question_kinds, sentence_kinds
from zhiku.retrieval.confidence_gate import gated_scores
from zhiku.retrieval.first_hit_guard import guard_first_hit, guard_top_hits
from zhiku.retrieval.feature_reranker import _bigrams, _min_max, _phrase, _proximity
from zhiku.retrieval.passage_view import PassageCache, PassageView, candidate_view, fold
from zhiku.retrieval.question_constraints import _TITLE as _CONSTRAINT_TITLE
from zhiku.retrieval.question_constraints import _YEAR as _CONSTRAINT_YEAR
from zhiku.retrieval.question_constraints import _fold as _fold_constraint_text
from zhiku.retrieval.question_constraints import dated_years, question_constraints
from zhiku.retrieval.reranker import RerankCandidate
from zhiku.retrieval.script import majority_script

WEIGHTS_FILE = Path(__file__).with_name("data") / "second_stage.json"
# The `evidence` stage (ZHIKU_RERANKER=evidence): the same form over the fused score and answer-evidence features only
# (evaluation/second_stage_fit.py EVIDENCE_FEATURES).
EVIDENCE_WEIGHTS_FILE = Path(__file__).with_name("data") / "second_stage_evidence.json"
# The `guarded` stage (ZHIKU_RERANKER=guarded, guarded_reranker.py): fitted with distractors that repeat the question's
# words, and the hybrid's first hit guarded by a margin (first_hit_guard.py).
GUARDED_WEIGHTS_FILE = Path(__file__).with_name("data") / "second_stage_guarded.json"

FEATURES = ("fused", "fused_rank", "dense_norm", "dense_rank", "dense_gap", "sparse_norm", "sparse_rank",
            "bigram_coverage", "term_coverage", "proximity", "phrase", "rare_coverage", "kind_match",
            "constraint_conflict", "constraint_missing", "sentence_coverage", "sentence_kind", "near_kind",
            "dated_conflict", "dated_missing")
# Kinds whose sentence pattern does not tell an answer: 'name' looks for institution names (公司, 银行, …部, …局) and
# misses people — a who-question's answer — while "这部电影" or "全部" pass for one (docs/benchmarks.md, issue #16
# fifth round). `sentence_kind` reads the value kinds only; `kind_match` keeps every kind (the shipped weights).
_UNRELIABLE_KINDS = frozenset({"name"})
_SENTENCE_FEATURES = frozenset({"sentence_coverage", "sentence_kind", "near_kind"})
LEXICAL = ("bigram_coverage", "term_coverage", "proximity", "phrase", "rare_coverage", "sentence_coverage")


@dataclass(slots=True)
class SecondStageWeights:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    meta: dict = field(default_factory=dict)
    # Scripts of the queries the weights were fitted on (retrieval/script.py: cjk, latin); a query in another
    # script keeps the first-stage order. Empty: every query.
    scripts: tuple[str, ...] = ()
    # The largest change of a candidate's fused score (module docstring); None: the unbounded linear score.
    bound: float | None = None
    # The confidence gate (gated_reranker.py): the linear-score lead a candidate needs to pass one before it in the
    # fused order; None: not gated (the bound applies).
    margin: float | None = None
    # The first-hit safeguard (first_hit_guard.py): the linear-score lead a candidate needs to pass the hybrid's first
    # hit; None: no safeguard.
    first_hit_margin: float | None = None
    # How many of the hybrid's first hits that margin guards (first_hit_guard.guard_top_hits; infinity: every
    # candidate); None: the first hit only.
    guard_depth: float | None = None

    def linear(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef

    def scores(self, x: np.ndarray, bound: float | None = ..., margin: float | None = ...,
               first_hit_margin: float | None = ..., guard_depth: float | None = ...) -> np.ndarray:
        """Scores of one query's candidates (rows of `x`, in fused order). `bound`, `margin`, `first_hit_margin`,
        `guard_depth`: override the stored ones (fitting compares several); a margin makes the gated order, else None
        bound: the unbounded linear score; a first-hit margin guards the hybrid's first hit (first_hit_guard.py), or
        its first `guard_depth` hits."""
        bound = self.bound if bound is ... else bound
        margin = self.margin if margin is ... else margin
        first_hit_margin = self.first_hit_margin if first_hit_margin is ... else first_hit_margin
        guard_depth = self.guard_depth if guard_depth is ... else guard_depth
        linear = self.linear(x)
        if margin is None and first_hit_margin is not None:
            bounded = self.scores(x, bound, None, None, None)
            if guard_depth is not None and guard_depth > 1:
                return guard_top_hits(bounded, linear, first_hit_margin, guard_depth)
            return guard_first_hit(bounded, linear, first_hit_margin)
        if margin is not None:
            return gated_scores(x[:, self.features.index("fused")].astype(float), linear, margin)
        if bound is None:
            return linear
        fused = x[:, self.features.index("fused")].astype(float)
        if bound <= 0 or len(fused) < 2:
            return fused
        # The model's opinion on the fused scale of this query: its scores mapped onto the range of the fused ones.
        low, high = float(fused.min()), float(fused.max())
        span = float(linear.max() - linear.min())
        opinion = low + (linear - linear.min()) / span * (high - low) if span > 0 else fused
        if math.isinf(bound):
            return opinion
        return fused + bound * np.tanh((opinion - fused) / bound)

    def to_json(self) -> str:
        def named(values):
            return {n: round(float(v), 6) for n, v in zip(self.features, values)}
        return json.dumps({"features": list(self.features), "scripts": list(self.scripts), "bound": self.bound,
                           **({"margin": self.margin} if self.margin is not None else {}),
                           **({"first_hit_margin": self.first_hit_margin}
                              if self.first_hit_margin is not None else {}),
                           **({"guard_depth": "inf" if math.isinf(self.guard_depth) else self.guard_depth}
                              if self.guard_depth is not None else {}),
                           "mean": named(self.mean), "scale": named(self.scale), "coef": named(self.coef),
                           "meta": self.meta},
                          ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "SecondStageWeights":
        data = json.loads(text)
        names = tuple(data["features"])
        unknown = set(names) - set(FEATURES)
        if unknown:
            raise ValueError(f"second-stage weights name unknown features: {sorted(unknown)}")
        def vector(key):
            return np.array([float(data[key][n]) for n in names])
        bound = data.get("bound")
        margin = data.get("margin")
        if (bound is not None or margin is not None) and "fused" not in names:
            raise ValueError("bounded or gated second-stage weights need the 'fused' feature")
        first_hit = data.get("first_hit_margin")
        depth = data.get("guard_depth")
        return cls(names, vector("mean"), vector("scale"), vector("coef"), data.get("meta", {}),
                   tuple(data.get("scripts", ())), None if bound is None else float(bound),
                   None if margin is None else float(margin), None if first_hit is None else float(first_hit),
                   None if depth is None else float(depth))

    @classmethod
    def neutral(cls) -> "SecondStageWeights":
        """The fused score alone (the hybrid order): what fitting starts from."""
        n = len(FEATURES)
        return cls(tuple(FEATURES), np.zeros(n), np.ones(n), np.eye(n)[FEATURES.index("fused")])

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "SecondStageWeights":
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def _ranks(values: list[float | None]) -> list[float]:
    """1 / (1 + rank) by descending value, 0 where there is no value."""
    order = sorted((i for i, v in enumerate(values) if v is not None), key=lambda i: -values[i])
    out = [0.0] * len(values)
    for rank, i in enumerate(order):
        out[i] = 1.0 / (1.0 + rank)
    return out


def contradicts(constraints, text: str, dated: bool = False) -> bool:
    """The passage is about another year, quantity or title than any the question names: it names years and none of
    the question's, or states every quantity the question names with another number, or names titles and none of
    the question's. Unlike `QuestionConstraints.met_by` (which wants all of them) a passage holding one of two
    years passes: a question joining two facts ("2021年…，2022年…") pins two years, and each of its evidence
    passages states one. `dated`: a passage naming none of the question's years contradicts it only when a year dates
    it (question_constraints.dated_years), not when its years are background."""
    folded = _fold_constraint_text(text)
    if constraints.years:
        named = set(_CONSTRAINT_YEAR.findall(folded))
        if named and not named.intersection(constraints.years) and (not dated or dated_years(text)):
            return True
    text = folded
    if constraints.quantities and all(
            re.search(q.pattern(r"\d+(?:\.\d+)?"), text) and not re.search(q.pattern(re.escape(q.number)), text)
            for q in constraints.quantities):
        return True
    if constraints.titles and _CONSTRAINT_TITLE.search(text) and not any(t in text for t in constraints.titles):
        return True
    return False


def sentence_features(view: PassageView, idf: dict[str, float], asked: set[str]) -> tuple[float, float, float]:
    """(`sentence_coverage`, `sentence_kind`, `near_kind`): the share of the question's rare-term weight (`idf`) that
    one sentence of the passage holds, at its best sentence; whether that sentence holds a value of the kind the
    question asks for; and whether any sentence near the question's words — one holding at least half the weight of
    the best sentence — holds such a value (the kinds: 0.5 when the question asks for none). A passage that answers
    states the answer in a sentence about the question's subject; a news item on the same subject (the distractor
    of RGB-like corpora) repeats the question's words across the passage without such a sentence. `near_kind` reads
    more than the one best sentence because a passage's wording and its answer often sit in different sentences (a
    headline repeating the question above the sentence with the figure; a question joining two facts, of which one
    passage states one). Terms are looked up as substrings of each sentence (the chunk's terms are kept with the
    chunk, `PassageView`; no tokenising here)."""
    total = sum(idf.values())
    if not total:
        return (0.0, 0.5, 0.5) if not asked else (0.0, 0.0, 0.0)
    present = {t: w for t, w in idf.items() if t in view.term_set}
    covered = [(sum(w for t, w in present.items() if t in sentence), sentence)
               for sentence in (view.sentences if present else ())]
    best, best_sentence = 0.0, ""
    for weight, sentence in covered:
        if weight > best:
            best, best_sentence = weight, sentence
    if not asked:
        return best / total, 0.5, 0.5
    holds = 1.0 if best_sentence and asked & sentence_kinds(best_sentence) else 0.0
    near = holds or float(best > 0 and any(weight >= 0.5 * best and asked & sentence_kinds(sentence)
                                           for weight, sentence in covered))
    return best / total, holds, near


def constraint_values(constraints) -> list[tuple[str, ...]]:
    """The values a question pins its answer to (its years, quantities' numbers, titles), folded like a passage's
    text (letters and digits, lower-cased) so they can be looked up in `PassageView.folded`, in groups: values the
    question joins by a conjunction ("2021年和2022年") are one group, stated when any of them is
    (`QuestionConstraints.pinned_groups`)."""
    out = []
    for group in constraints.pinned_groups():
        folded = tuple(v for v in dict.fromkeys(fold(v.replace(".", "")) for v in group) if v)
        if folded and folded not in out:
            out.append(folded)
    return out


def constraint_missing(pinned: list[tuple[str, ...]], folded_text: str,
                       background: frozenset[tuple[str, ...]] = frozenset()) -> float:
    """The share of the question's pinned groups (`constraint_values`) of which the passage states no value. A
    passage stating one of two years joined by a conjunction misses nothing: a question joining two facts pins each
    to its own year, and each of its evidence passages states one (docs/benchmarks.md, issue #16, eighth round).
    `background`: groups not counted as missing (`dated_missing`: the question's years, in a passage no year dates)."""
    if not pinned:
        return 0.0
    return sum(group not in background and not any(v in folded_text for v in group) for group in pinned) / len(pinned)


class LearnedReranker:
    name = "learned"

    def __init__(self, tokenizer: SparseEncoder, weights: SecondStageWeights | None = None,
                 cache: PassageCache | None = None):
        self.tokenizer = tokenizer
        self.weights = weights or SecondStageWeights.load()
        self.cache = cache or PassageCache()

    def view(self, candidate: RerankCandidate) -> PassageView:
        return candidate_view(self.cache, self.tokenizer, candidate)

    def feature_matrix(self, query: str, candidates: list[RerankCandidate]) -> np.ndarray:
        n = len(candidates)
        if not n:
            return np.zeros((0, len(FEATURES)))
        q_terms = list(dict.fromkeys(self.tokenizer.tokenize(query)))
        q_bigrams = _bigrams(query)
        asked = question_kinds(query.lower())
        asked_values = asked - _UNRELIABLE_KINDS
        sentences = not _SENTENCE_FEATURES.isdisjoint(self.weights.features)
        constraints = question_constraints(query)
        pinned = constraint_values(constraints)
        # Groups of years only (folded like `pinned`): `dated_missing` counts them only in a dated passage.
        year_groups = frozenset(g for g in pinned if all(v in constraints.years for v in g))
        views = [self.view(c) if c.lexically_comparable else None for c in candidates]
        # Inverse document frequency of each query term among the candidates that can be compared lexically.
        comparable = [v for v in views if v is not None]
        idf = {t: math.log(1.0 + (len(comparable) + 1) / (1.0 + sum(t in v.term_set for v in comparable)))
               for t in q_terms}
        idf_total = sum(idf.values())
        dense = [c.dense for c in candidates]
        sparse = [c.sparse for c in candidates]
        dense_norm, sparse_norm = _min_max(dense), _min_max(sparse)
        known_dense = [d for d in dense if d is not None]
        top_dense = max(known_dense) if known_dense else 0.0
        floor_dense = min(known_dense) if known_dense else 0.0
        dense_rank = [c.dense_rank if c.dense_rank is not None else r for c, r in zip(candidates, _ranks(dense))]
        sparse_rank = [c.sparse_rank if c.sparse_rank is not None else r for c, r in zip(candidates, _ranks(sparse))]
        rows = np.zeros((n, len(FEATURES)))
        for i, (c, view) in enumerate(zip(candidates, views)):
            row = {"fused": c.fused, "fused_rank": 1.0 / (1.0 + i), "dense_norm": dense_norm[i],
                   "dense_rank": dense_rank[i], "sparse_norm": sparse_norm[i], "sparse_rank": sparse_rank[i],
                   "dense_gap": (c.dense if c.dense is not None else floor_dense) - top_dense,
                   "sentence_coverage": 0.0, "sentence_kind": 0.5, "near_kind": 0.5}  # sentence features not read
            if view is None:  # another script: term features cannot see, the dense similarity stands in
                row.update(dict.fromkeys(LEXICAL, dense_norm[i]))
                row["kind_match"] = 0.5
                row["constraint_conflict"] = row["constraint_missing"] = 0.0  # cannot be read across scripts
                row["dated_conflict"] = row["dated_missing"] = 0.0
                row["sentence_kind"] = row["near_kind"] = 0.5
            else:
                present = view.term_set.intersection(q_terms)
                row["bigram_coverage"] = len(q_bigrams & view.bigrams) / len(q_bigrams) if q_bigrams else 0.0
                row["term_coverage"] = len(present) / len(q_terms) if q_terms else 0.0
                row["proximity"] = _proximity(view.terms, present)
                row["phrase"] = _phrase(query, c.text)
                row["rare_coverage"] = (sum(idf[t] for t in present) / idf_total) if idf_total else 0.0
                row["kind_match"] = (1.0 if asked & view.kinds else 0.0) if asked else 0.5
                row["constraint_conflict"] = 1.0 if constraints and contradicts(constraints, c.text) else 0.0
                row["constraint_missing"] = constraint_missing(pinned, view.folded)
                if year_groups and not dated_years(c.text):
                    row["dated_missing"] = constraint_missing(pinned, view.folded, year_groups)
                    row["dated_conflict"] = 1.0 if contradicts(constraints, c.text, dated=True) else 0.0
                else:
                    row["dated_missing"] = row["constraint_missing"]
                    row["dated_conflict"] = row["constraint_conflict"]
                if sentences:  # only when the weights read them (the shipped `learned` weights do not)
                    (row["sentence_coverage"], row["sentence_kind"],
                     row["near_kind"]) = sentence_features(view, idf, asked_values)
            rows[i] = [row[f] for f in FEATURES]
        return rows

    def score(self, query: str, candidates: list[RerankCandidate]) -> list[float]:
        if not candidates:
            return []
        if self.weights.scripts and majority_script(query) not in self.weights.scripts:
            # Not the kind of question the weights were fitted on: the first-stage order stands.
            return [c.fused for c in candidates]
        x = self.feature_matrix(query, candidates)
        index = [FEATURES.index(f) for f in self.weights.features]
        return [float(s) for s in self.weights.scores(x[:, index])]
