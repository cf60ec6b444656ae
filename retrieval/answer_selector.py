"""Which evidence sentence answers the question, and how likely it is that any does: fitted, calibrated scores.

Every sentence of the evidence gets the features the pipeline already has — term coverage of the question
(IDF-weighted, after the term normaliser: numerals, 第二套/二套, full/half width, bank synonyms) in the sentence,
in the sentence with its section label, and in the whole passage (is the passage about the question's subject at
all?), the rarest question term missing from the passage, character-bigram coverage, the embedding similarity of
question and sentence (raw and relative to the best sentence), whether the sentence holds the kind of value asked
for (amount, rate, date, duration, count, phone, name), its place in the passage and the passage's rank — and the
constraint-match features (retrieval/constraint_match.py): does the sentence, does the passage hold the question's
year, date, numbers and names, or another year instead, and how much of the question's rarest terms each covers.

Two fitted models read them (weights in data/answer_selector.json, fitted by `zhiku eval fit-answer-selector` on
public reading-comprehension data — DRCD, CMRC 2018 trial — that shares nothing with the evaluation sets):

- the gate, a logistic regression: P(this sentence states the answer), trained on answerable cases and on hard
  unanswerable ones (the same article's other paragraphs; the question with its year, number or name altered so
  its own paragraph no longer answers it). The highest probability of any sentence is the answerability score:
  below the operating point (chosen on out-of-fold training scores, docs/benchmarks.md) the reply is "not found".
  The same score guards LLM answers (answer_service) and suggested follow-ups;
- the ranker, a softmax over each answerable training case's sentences (the answering sentence against the other
  sentences of the same evidence): which sentence answers first.
"""
from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from zhiku.core.sentences import sentence_spans
from zhiku.index.embedder import Embedder
from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.retrieval.answer_types import question_kinds, sentence_kinds
from zhiku.retrieval.asked_value import EVIDENCE_FEATURES as ASKED_VALUE_EVIDENCE
from zhiku.retrieval.asked_value import FEATURE_NAMES as ASKED_VALUE_FEATURES
from zhiku.retrieval.asked_value import asked_value_features, asks_for_name, sentence_names
from zhiku.retrieval.constraint_match import FEATURE_NAMES as CONSTRAINT_FEATURES
from zhiku.retrieval.constraint_match import match_features, question_facts, text_facts
from zhiku.retrieval.question_constraints import question_constraints
from zhiku.retrieval.script import majority_script, majority_script_by_words
from zhiku.retrieval.search_hit import SearchHit
from zhiku.retrieval.term_normaliser import TermNormaliser, default_normaliser
from zhiku.retrieval.text_table import labelled_rows

log = logging.getLogger(__name__)

WEIGHTS_FILE = Path(__file__).with_name("data") / "answer_selector.json"

FEATURES = (
    "term_cov_sentence", "term_cov_with_label", "term_cov_passage", "term_cov_sentence_rel",
    "rarest_term_missing", "bigram_cov_sentence", "bigram_cov_passage", "phrase_passage",
    "dense", "dense_rel", "kind_match", "kind_missing", "constraint_violated",
    "first_in_passage", "passage_rank", "log_length", "unterminated", "is_table_row", "novel_terms", "novel_share",
    "corroborated_share", "corroborated_best",
) + CONSTRAINT_FEATURES + ASKED_VALUE_FEATURES + ASKED_VALUE_EVIDENCE
# Computed for diagnostics but not weighted: the training data has no cross-language pairs to learn it from.
DIAGNOSTIC = ("cross_script",)
# What a sentence in another writing system than the question still has: term and bigram features are blind
# across scripts (an English question shares no words with a Chinese clause), so a sentence in another script is
# scored by a second model fitted on these alone (`SelectorWeights.cross_script`), on the same training rows.
# Two passage-level term features are kept: across scripts they are read among the question terms that can appear
# in the passage at all (digits, Latin names, the synonym list's bridges: "car loan" → 汽车贷款), so a passage about
# another subject than the one the question names still counts against it. A question with no such term gives no
# evidence either way: those two features take their training means (unknown, not "absent").
SUBJECT_FEATURES = ("term_cov_passage", "rarest_term_missing")
# Years, dates and numbers are written in digits in either language, so their match features are kept too.
CROSS_SCRIPT_FEATURES = ("dense", "dense_rel", "kind_match", "kind_missing", "constraint_violated",
                         "first_in_passage", "passage_rank", "log_length") + SUBJECT_FEATURES + (
    "year_in_sentence", "year_conflict_sentence", "year_missing_passage", "date_in_sentence", "date_missing_passage",
    "number_cov_sentence", "number_missing_passage")

# What a sentence in another language than the question has before it is embedded: the script-blind features
# without the similarities. They choose which such sentences are embedded (`SelectorWeights.language_prefilter`).
LANGUAGE_PREFILTER_FEATURES = tuple(n for n in CROSS_SCRIPT_FEATURES if n not in ("dense", "dense_rel"))

# Words that ask, not words that name what is asked about.
_QUESTION_WORDS = set("什么 多少 哪些 哪个 哪家 哪里 哪 怎么 怎样 如何 是否 是不是 能否 可以 吗 呢 吧 几 谁 为什么 请问 "
                      "what which who whom how when where why does do is are can could would should much many "
                      "the a an of to in for".split())
_TERMINAL = re.compile(r"[。！？；!?;.…:：]\s*[”’」』）)\]]*\s*$")
_TABLE_CELL = re.compile(r"\s\|\s")


@dataclass(slots=True)
class ScoredSentence:
    text: str
    hit_rank: int          # index into the hits
    order: int             # sentence index within the hit
    probability: float
    features: dict[str, float] = field(default_factory=dict, repr=False)
    rank_score: float = 0.0  # the ranker's: which sentence answers first (higher first)
    kinds: set[str] = field(default_factory=set, repr=False)


@dataclass(slots=True, frozen=True)
class _SentenceView:
    text: str
    norm: str
    terms: frozenset
    bigrams: frozenset
    kinds: frozenset
    placed: str            # the sentence after its section label: what is embedded
    log_length: float
    unterminated: float
    table_row: float
    facts: object          # constraint_match.TextFacts of the sentence read with its section label
    names: tuple = ()      # asked_value.sentence_names: the proper names it holds


@dataclass(slots=True, frozen=True)
class _PassageView:
    script: str            # by letters: which question terms can match at all (as retrieval counts it)
    language: str          # by words: is it written in another language than the question
    about: str
    label_norm: str
    label_terms: frozenset
    passage_norm: str
    passage_terms: frozenset
    bigrams: frozenset
    sentences: list        # (order in the hit, _SentenceView), questions left out
    facts: object          # constraint_match.TextFacts of the whole passage


@dataclass(slots=True)
class SelectorWeights:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float       # the operating point: answer when the best sentence's probability reaches it
    meta: dict = field(default_factory=dict)
    prefilter: "SelectorWeights | None" = None  # terms-only model that picks the sentences worth embedding
    # The script-blind model for sentences in another script than the question (CROSS_SCRIPT_FEATURES only), and
    # how much lower a cross-language cosine sits than a same-language one (added to such a sentence's similarity
    # before it is compared with the others; measured by the fit, see meta).
    cross_script: "SelectorWeights | None" = None
    cross_script_offset: float = 0.0
    # Which sentence answers first: weights over the same standardised features, fitted as a softmax over each
    # training case's sentences (the answering sentence against the others of its evidence). None: the gate's
    # probability orders the sentences too.
    ranker: np.ndarray | None = None
    # Which sentences in another language than the question are worth embedding: a logistic regression on what such
    # a sentence has without its embedding (LANGUAGE_PREFILTER_FEATURES: the answer kind, digits, place, length, the
    # passage's subject). None: they are embedded in passage order, up to the selector's `cross_script_limit`.
    language_prefilter: "SelectorWeights | None" = None

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "SelectorWeights":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, data: dict) -> "SelectorWeights":
        names = FEATURES  # rows come in this order; a feature the file lacks weighs nothing
        return cls(names, np.asarray([data["mean"].get(n, 0.0) for n in names]),
                   np.asarray([data["scale"].get(n, 1.0) for n in names]),
                   np.asarray([data["coef"].get(n, 0.0) for n in names]), float(data["intercept"]),
                   float(data["threshold"]), data.get("meta", {}),
                   cls.from_dict(data["prefilter"]) if data.get("prefilter") else None,
                   cls.from_dict(data["cross_script"]) if data.get("cross_script") else None,
                   float(data.get("cross_script_offset", 0.0)),
                   np.asarray([data["ranker"].get(n, 0.0) for n in names]) if data.get("ranker") else None,
                   cls.from_dict(data["language_prefilter"]) if data.get("language_prefilter") else None)

    def to_dict(self) -> dict:
        out = {"features": list(self.features),
               "mean": {n: round(float(v), 6) for n, v in zip(self.features, self.mean)},
               "scale": {n: round(float(v), 6) for n, v in zip(self.features, self.scale)},
               "coef": {n: round(float(c), 5) for n, c in zip(self.features, self.coef)},
               "intercept": round(self.intercept, 5), "threshold": round(self.threshold, 4), "meta": self.meta}
        if self.prefilter is not None:
            out["prefilter"] = self.prefilter.to_dict()
        if self.cross_script is not None:
            out["cross_script"] = self.cross_script.to_dict()
            out["cross_script_offset"] = round(self.cross_script_offset, 5)
        if self.ranker is not None:
            out["ranker"] = {n: round(float(c), 5) for n, c in zip(self.features, self.ranker)}
        if self.language_prefilter is not None:
            out["language_prefilter"] = self.language_prefilter.to_dict()
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def rank_scores(self, rows: np.ndarray) -> np.ndarray:
        """The ranker's score of each row (higher answers first); the gate's log-odds without a ranker."""
        z = (rows - self.mean) / self.scale
        return z @ self.ranker if self.ranker is not None else z @ self.coef + self.intercept


@lru_cache(maxsize=1)
def default_weights() -> SelectorWeights:
    return SelectorWeights.load()


@lru_cache(maxsize=1)
def _idf_table() -> tuple[dict[str, float], float]:
    """jieba's general-purpose IDF table (ships with jieba): rare words name the subject, common ones do not."""
    import jieba.analyse

    table = jieba.analyse.default_tfidf.idf_freq
    return table, float(jieba.analyse.default_tfidf.median_idf)


def _term_script(term: str) -> str:
    if any("\u3400" <= c <= "\u9fff" for c in term):
        return "cjk"
    if any(c.isascii() and c.isalpha() for c in term):
        return "latin"
    return "neutral"


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if c.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:])}


class AnswerSelector:
    def __init__(self, tokenizer: SparseEncoder, embedder: Embedder | None = None,
                 weights: SelectorWeights | None = None, normaliser: TermNormaliser | None = None,
                 shortlist: int = 8, cross_script_limit: int = 24, view_cache_size: int = 4096,
                 language_shortlist: int = 8, read_names: bool | None = None):
        # Reading a sentence's proper names takes jieba's part-of-speech pass over every sentence of a new chunk;
        # None: only when the weights weigh a feature that needs them (the fit passes True: it computes every feature).
        self._read_names = read_names
        self.shortlist = shortlist
        self.language_shortlist = language_shortlist
        self.view_cache_size = view_cache_size
        self._views: OrderedDict[tuple, _PassageView] = OrderedDict()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # placed sentence → its embedding
        self._lock = threading.Lock()
        self.cross_script_limit = cross_script_limit
        self.tokenizer = tokenizer
        self.embedder = embedder
        self._weights = weights
        self.normaliser = normaliser or default_normaliser()

    @property
    def reads_names(self) -> bool:
        if self._read_names is None:
            w = self.weights
            names = [FEATURES.index(n) for n in ASKED_VALUE_FEATURES + ASKED_VALUE_EVIDENCE]
            models = [m for m in (w, w.cross_script, w.prefilter, w.language_prefilter) if m is not None]
            self._read_names = any(abs(m.coef[i]) > 0 for m in models for i in names) or (
                w.ranker is not None and any(abs(w.ranker[i]) > 0 for i in names))
        return self._read_names

    @property
    def weights(self) -> SelectorWeights:
        if self._weights is None:
            self._weights = default_weights()
        return self._weights

    # -- terms ------------------------------------------------------------------------------------
    def terms(self, normalised_text: str) -> set[str]:
        return set(self.tokenizer.tokenize(normalised_text))

    def question_terms(self, normalised_question: str) -> dict[str, float]:
        """The question's content terms with their IDF (question words left out; a term inside a longer one
        of the question is kept, so 信用卡 still counts when the evidence writes 信用卡 but not 信用卡年费)."""
        table, median = _idf_table()
        terms = [t for t in dict.fromkeys(self.tokenizer.tokenize(normalised_question))
                 if t not in _QUESTION_WORDS and (len(t) > 1 or not t.isascii() or t.isdigit())]
        return {t: table.get(t, median if len(t) > 1 else median / 2) for t in terms}

    # -- per-passage work, once per chunk ---------------------------------------------------------
    def _view(self, hit: SearchHit) -> "_PassageView":
        """What the features need of a passage that does not depend on the question (normalised text, terms,
        bigrams, its sentences and theirs), computed once per chunk and kept (LRU): the same chunks come back
        question after question, and normalising and tokenising them was most of an answer's time."""
        key = (hit.chunk_id, hit.text, hit.parent_text, hit.citation.document_name, tuple(hit.citation.heading_path),
               hit.reached_from)
        with self._lock:
            view = self._views.get(key)
            if view is not None:
                self._views.move_to_end(key)
                return view
        label = hit.section_label()
        label_norm = self.normaliser.normalise(label)
        about = hit.about_text()
        passage_norm = self.normaliser.normalise(about)
        label_line = " > ".join(part for part in label.split("\n") if part.strip())
        # A line of its own (a field "Start: 22:00 on Saturday", a list item, a heading line) ends without a full
        # stop and is whole; only a sentence that stops mid-line without one was cut (the terms-only prefilter,
        # fitted on prose, gave such a field line -4.7 logits and it was never scored).
        lines = {line.strip() for line in (hit.parent_text or hit.text).split("\n")} | \
            {line.strip() for line in hit.text.split("\n")}
        # A table row written as text ("营业收入 58736.42 51283.67" in a PDF's text layer) is read with its header,
        # as the cells a parsed table row has: its figures then say which year and unit they are for.
        rows = labelled_rows(hit.text, hit.parent_text or "", tuple(hit.citation.heading_path))
        sentences = []
        for order, sentence in enumerate(evidence_sentences(hit)):
            if sentence.rstrip().endswith(("？", "?")):
                continue  # a question (an FAQ's own) repeats the query but answers nothing
            sentence = rows.get(sentence.strip(), sentence)
            s_norm = self.normaliser.normalise(sentence)
            sentences.append((order, _SentenceView(
                sentence, s_norm, frozenset(self.terms(s_norm)), frozenset(_bigrams(s_norm)),
                frozenset(sentence_kinds(s_norm)), f"{label_line}: {sentence}" if label_line else sentence,
                math.log1p(len(sentence)),
                float(not _TERMINAL.search(sentence) and not _TABLE_CELL.search(sentence)
                      and sentence.strip() not in lines),
                float(bool(_TABLE_CELL.search(sentence))), text_facts(s_norm + "\n" + label_norm),
                sentence_names(s_norm, sentence, majority_script_by_words(sentence) == "latin")
                if self.reads_names else ())))
        view = _PassageView(majority_script(hit.text), majority_script_by_words(hit.text), about, label_norm,
                            frozenset(self.terms(label_norm)), passage_norm, frozenset(self.terms(passage_norm)),
                            frozenset(_bigrams(passage_norm)), sentences, text_facts(passage_norm))
        with self._lock:
            self._views[key] = view
            while len(self._views) > self.view_cache_size:
                self._views.popitem(last=False)
        return view

    # -- scoring ----------------------------------------------------------------------------------
    def score(self, question: str, hits: list[SearchHit]) -> list[ScoredSentence]:
        """Every sentence of the evidence with its probability of stating the answer, best first."""
        if not hits:
            return []
        candidates, rows = self.feature_rows(question, hits)
        if not candidates:
            return []
        matrix = np.asarray(rows, dtype=float)
        weights = self.weights
        probabilities = weights.probabilities(matrix)
        ranks = weights.rank_scores(matrix)
        blind = weights.cross_script
        if blind is not None:
            # Only with similarities: without them nothing but the answer kind would judge such a sentence.
            crossing = np.asarray([bool(c.features.get("cross_language") and c.features.get("dense_known"))
                                   for c in candidates])
            if crossing.any():
                blind_rows = matrix.copy()
                unknown = np.asarray([not c.features.get("comparable_terms") for c in candidates])
                for name in SUBJECT_FEATURES:
                    column = FEATURES.index(name)
                    blind_rows[unknown, column] = blind.mean[column]
                probabilities = np.where(crossing, blind.probabilities(blind_rows), probabilities)
                if weights.ranker is not None:
                    # The ranker reads term features that a sentence in another language cannot have: for it
                    # they are unknown (the training mean), only what crosses languages counts.
                    unseen = [i for i, name in enumerate(FEATURES) if name not in CROSS_SCRIPT_FEATURES]
                    ranked_rows = matrix.copy()
                    ranked_rows[:, unseen] = weights.mean[unseen]
                    ranks = np.where(crossing, weights.rank_scores(ranked_rows), ranks)
        for candidate, p, r in zip(candidates, probabilities, ranks):
            candidate.probability = float(p)
            candidate.rank_score = float(r)
        return sorted(candidates, key=lambda c: (-c.rank_score, c.hit_rank, c.order))

    def feature_rows(self, question: str, hits: list[SearchHit]) -> tuple[list[ScoredSentence], list[list[float]]]:
        q_norm = self.normaliser.normalise(question)
        q_terms = self.question_terms(q_norm)
        q_mass = sum(q_terms.values()) or 1.0
        q_bigrams = _bigrams(q_norm)
        q_kinds = question_kinds(q_norm)
        constraints = question_constraints(question)
        q_script = majority_script(question)
        q_language = majority_script_by_words(question)
        # The rarest *word*: a number or year (unknown to jieba's IDF table, so at its median, above most words)
        # is read by the year and number features; as the rarest term it hid the subject ("2024" over 存单).
        words = {t: w for t, w in q_terms.items() if not any(c.isdigit() for c in t)} or q_terms
        rarest = max(words, key=words.get) if words else None
        facts = question_facts(q_norm, words, _idf_table()[0], question=question)
        asks_name = asks_for_name(q_norm)
        # What the question pins its answer to, the most specific first: its year, else its names, else its rarest
        # words ("2022年特斯拉交付量" is answered next to 2022, not next to 特斯拉 in 2021's story).
        pinned = tuple(facts.years) or facts.entities or tuple(t for t, _ in facts.rare)
        q_all_terms = set(self.tokenizer.tokenize(q_norm))

        def novel(s_terms: frozenset) -> tuple[float, float]:
            """What the sentence says beyond the question: an answer adds something (the answer); a sentence
            that only restates the question's terms (a headline, the question echoed) does not."""
            content = [t for t in s_terms if (len(t) > 1 or t.isdigit()) and t not in _QUESTION_WORDS]
            new = [t for t in content if t not in q_all_terms and t not in q_norm]
            return math.log1p(len(new)), len(new) / len(content) if content else 0.0

        idf_table, idf_median = _idf_table()
        views = [self._view(hit) for hit in hits]

        def corroboration(rank: int, s_norm: str, s_terms: frozenset) -> tuple[float, float]:
            """How much of what the sentence adds to the question (its new terms, IDF-weighted) the *other* passages
            of the evidence also state: in any of them, and in the best single one. Several sources that state the
            answer agree on it; a sentence that only restates the question, or tells another year's or another
            person's story, is seldom echoed. A passage that holds the same sentence verbatim is a copy, not a
            second source, and does not count."""
            new = [t for t in s_terms if (len(t) > 1 or t.isdigit()) and t not in _QUESTION_WORDS
                   and t not in q_all_terms and t not in q_norm]
            if not new:
                return 0.0, 0.0
            weight = {t: idf_table.get(t, idf_median) for t in new}
            mass = sum(weight.values()) or 1.0
            others = [v for j, v in enumerate(views) if j != rank and s_norm not in v.passage_norm]
            if not others:
                return 0.0, 0.0
            shares = [sum(w for t, w in weight.items() if t in v.passage_terms) / mass for v in others]
            anywhere = sum(w for t, w in weight.items() if any(t in v.passage_terms for v in others)) / mass
            return anywhere, max(shares)

        def coverage(found: set[str], text: str, terms: dict[str, float] = q_terms, mass: float = q_mass) -> float:
            return sum(w for t, w in terms.items() if t in found or (len(t) > 1 and t in text)) / mass

        # Across scripts only some question terms can match at all: digits, Latin names, and the terms the
        # synonym list maps to the other language ("second-home mortgage" → 二套房 住房贷款). Coverage there is
        # counted among those; a question with none of them gets no lexical evidence (the embedding still counts).
        comparable = {script: {t: w for t, w in q_terms.items() if _term_script(t) in (script, "neutral")}
                      for script in ("cjk", "latin")}
        comparable_bigrams = {script: {b for b in q_bigrams if _term_script(b) in (script, "neutral")}
                              for script in ("cjk", "latin")}

        candidates: list[ScoredSentence] = []
        raw: list[dict[str, float]] = []
        placed: list[str] = []
        for rank, hit in enumerate(hits):
            view = views[rank]
            p_script = view.script
            terms_here, bigrams_here = q_terms, q_bigrams
            if q_script != p_script and p_script in comparable:
                terms_here, bigrams_here = comparable[p_script], comparable_bigrams[p_script]
            mass_here = sum(terms_here.values()) or 1.0

            def cov(found: set[str], text: str) -> float:
                return coverage(found, text, terms_here, mass_here) if terms_here else 0.0

            label_norm, passage_norm, passage_terms = view.label_norm, view.passage_norm, view.passage_terms
            label_terms = view.label_terms
            passage_cov = cov(passage_terms, passage_norm)
            bigram_passage = len(bigrams_here & view.bigrams) / len(bigrams_here) if bigrams_here else 0.0
            phrase = _longest_common_run(q_norm, passage_norm) / max(len(q_norm), 1)
            violated = float(bool(constraints) and not constraints.met_by(view.about))
            words_here = {t: w for t, w in terms_here.items() if not any(c.isdigit() for c in t)} or terms_here
            rarest_here = rarest if terms_here is q_terms else (max(words_here, key=words_here.get) if words_here
                                                                  else None)
            rarest_missing = float(rarest_here is not None and rarest_here not in passage_terms
                                   and rarest_here not in passage_norm)
            cross = float(q_script != p_script)
            # Another language, not only another script by letter count ("El Torito由谁主导设计？" is Chinese):
            # these sentences go to the script-blind model.
            other_language = float(bool(cross) and q_language != view.language)
            for order, sv in view.sentences:
                s_norm, s_terms, kinds = sv.norm, sv.terms, sv.kinds
                asked = q_kinds & kinds
                candidates.append(ScoredSentence(sv.text, rank, order, 0.0, kinds=set(kinds)))
                novel_log, novel_share = novel(s_terms)
                corroborated_share, corroborated_best = corroboration(rank, s_norm, s_terms)
                raw.append({
                    "corroborated_share": corroborated_share,
                    "corroborated_best": corroborated_best,
                    "novel_terms": novel_log,
                    "novel_share": novel_share,
                    "term_cov_sentence": cov(s_terms, s_norm),
                    "term_cov_with_label": cov(s_terms | label_terms, s_norm + "\n" + label_norm),
                    "term_cov_passage": passage_cov,
                    "rarest_term_missing": rarest_missing,
                    "bigram_cov_sentence": (len(bigrams_here & sv.bigrams) / len(bigrams_here)
                                            if bigrams_here else 0.0),
                    "bigram_cov_passage": bigram_passage,
                    "phrase_passage": phrase,
                    "kind_match": float(bool(asked)),
                    "kind_missing": float(bool(q_kinds) and not asked),
                    "constraint_violated": violated,
                    "first_in_passage": float(order == 0),
                    "passage_rank": rank / max(len(hits) - 1, 1),
                    "log_length": sv.log_length,
                    "unterminated": sv.unterminated,
                    "is_table_row": sv.table_row,
                    "cross_script": cross,
                    "cross_language": other_language,
                    "comparable_terms": float(bool(terms_here)),
                    **match_features(facts, s_norm + "\n" + label_norm, sv.facts, passage_norm, view.facts,
                                     s_terms | label_terms, passage_terms),
                    **asked_value_features(q_norm, terms_here, q_kinds, asks_name, s_norm, sv.names, pinned),
                })
                placed.append(sv.placed)
        if not candidates:
            return [], []
        best_cov = max(r["term_cov_sentence"] for r in raw)
        # Over every sentence of the evidence (before the shortlist): does any hold a value of the asked kind that
        # the question lacks? When none does, the evidence tells the story without the answer.
        asks = bool(raw[0]["asked_value_none_new"] or raw[0]["asked_value_new"])
        for values in raw:
            values["term_cov_sentence_rel"] = values["term_cov_sentence"] - best_cov
            values["restates_without_value"] = values["term_cov_sentence"] * values["asked_value_none_new"]
            values["asked_value_with_terms"] = values["term_cov_with_label"] * values["asked_value_new"]
        absent = float(asks and not any(r["asked_value_new"] for r in raw))
        best_with_terms = max(r["asked_value_with_terms"] for r in raw)
        for values in raw:
            values["asked_value_absent_evidence"], values["asked_value_cov_evidence"] = absent, best_with_terms
            values["dense"] = values["dense_rel"] = 0.0
        keep = self._shortlist(raw, [c.hit_rank for c in candidates])
        candidates, raw = [candidates[i] for i in keep], [raw[i] for i in keep]
        dense = self._similarities(question, [placed[i] for i in keep])
        if dense is not None and self.weights.cross_script is not None:
            # A cross-language cosine is compared as the same-language cosine it stands for.
            offset = self.weights.cross_script_offset
            dense = [d + offset if values["cross_language"] else d for d, values in zip(dense, raw)]
        best_dense = max(dense) if dense else 0.0
        # Without similarities (no embedder, or it failed) the dense features take their training means: unknown,
        # not "unlike the question".
        unknown = dict(zip(FEATURES, self.weights.mean)) if dense is None else None
        rows = []
        for i, (values, candidate) in enumerate(zip(raw, candidates)):
            if unknown is None:
                values["dense"], values["dense_rel"] = dense[i], dense[i] - best_dense
            else:
                values["dense"], values["dense_rel"] = unknown["dense"], 0.0
            values["dense_known"] = float(unknown is None)
            candidate.features = values
            rows.append([values[name] for name in FEATURES])
        return candidates, rows

    def _shortlist(self, raw: list[dict[str, float]], hit_ranks: list[int]) -> list[int]:
        """Which sentences are embedded and scored in full: the `shortlist` best by the terms-only prefilter
        model, the `language_shortlist` best sentences in another language than the question by the language
        prefilter, and those in another script by letter count, up to `cross_script_limit` — and every sentence of
        the first hit in the question's language (up to `shortlist` of them). Embedding every sentence of five passages costs more than the
        rest together.

        The first hit is read whole because terms alone miss what the first stage found by meaning: "What is the
        minimum password length?" shares no term with "Passwords must be at least 12 characters long." (plural,
        "length" against "long"), and which of its sentences the prefilter kept depended on what the *other*
        passages repeated (a graph chunk more or less changed the answer)."""
        prefilter = self.weights.prefilter if self.embedder is not None else None
        if prefilter is None or len(raw) <= self.shortlist:
            return list(range(len(raw)))
        first_hit = [i for i in range(len(raw)) if hit_ranks[i] == min(hit_ranks)
                     and not raw[i]["cross_language"]][:self.shortlist]
        # Sentences in another language than the question are not judged by terms at all (they share none): the
        # language prefilter picks them (in passage order up to `cross_script_limit` with weights that have none).
        # The rest as before: the best `shortlist` by the prefilter, then those in another script by letter count
        # (terms see them only in part).
        language = [i for i in range(len(raw)) if raw[i]["cross_language"]]
        chooser = self.weights.language_prefilter
        if chooser is not None and len(language) > self.language_shortlist:
            # Embedding is what a first (cold) answer waits for: the `language_shortlist` most likely by what they
            # have without their embedding, as many as a same-language question embeds, not every one in order.
            p = chooser.probabilities(np.asarray([self._language_row(raw[i]) for i in language], dtype=float))
            language = sorted(language[j] for j in sorted(range(len(language)), key=lambda j: (-p[j], j))
                              [:self.language_shortlist])
        language = language[:self.cross_script_limit]
        rest = [i for i in range(len(raw)) if not raw[i]["cross_language"]]
        if len(rest) > self.shortlist:
            p = prefilter.probabilities(np.asarray([[raw[i][n] for n in FEATURES] for i in rest], dtype=float))
            order = [rest[j] for j in sorted(range(len(rest)), key=lambda j: -p[j])]
            rest = order[:self.shortlist] + [i for i in order[self.shortlist:]
                                             if raw[i]["cross_script"]][:self.cross_script_limit]
        return sorted(set(language + rest + first_hit))

    def _language_row(self, values: dict[str, float]) -> list[float]:
        """A sentence's row for the language prefilter: the passage's subject features at their training means when
        the question has no term that can appear in the passage's script (unknown, not absent), as the blind model
        reads them."""
        chooser = self.weights.language_prefilter
        row = [values.get(name, 0.0) for name in FEATURES]
        if not values.get("comparable_terms"):
            for name in SUBJECT_FEATURES:
                row[FEATURES.index(name)] = float(chooser.mean[FEATURES.index(name)])
        return row

    def _similarities(self, question: str, sentences: list[str]) -> list[float] | None:
        """Cosine of question and each sentence (read after its section label); None without an embedder."""
        if self.embedder is None or not sentences:
            return None
        try:
            with self._lock:
                known = {t: self._vectors[t] for t in sentences if t in self._vectors}
            missing = list(dict.fromkeys(t for t in sentences if t not in known))
            if missing:
                fresh = dict(zip(missing, np.asarray(self.embedder.embed_passages(missing))))
                known.update(fresh)
                with self._lock:
                    self._vectors.update(fresh)
                    while len(self._vectors) > self.view_cache_size * 8:
                        self._vectors.popitem(last=False)
            vectors = np.stack([known[t] for t in sentences])
            return [float(c) for c in vectors @ np.asarray(self.embedder.embed_query(question))]
        except Exception:  # an embedding endpoint that is down must not cost the answer: terms still score
            log.warning("answer selection: embedding the evidence sentences failed; scoring by terms only",
                        exc_info=True)
            return None


def evidence_sentences(hit: SearchHit) -> list[str]:
    """The hit's sentences, whole: a sentence the chunk cut at its start or end is completed from the parent
    section when the parent holds it (no "持有未满180天的份" fragments)."""
    text = hit.text
    spans = sentence_spans(text)
    sentences = [text[s:e] for s, e in spans]
    parent = hit.parent_text or ""
    if not sentences or not parent or parent == text:
        return sentences
    at = parent.find(text)
    if at < 0:
        return sentences
    parent_spans = sentence_spans(parent)
    # The first and last sentences of the chunk become the parent's sentences that contain them.
    for index in {0, len(sentences) - 1}:
        s, e = spans[index]
        start, end = at + s, at + e
        for ps, pe in parent_spans:
            if ps <= start and end <= pe and (ps, pe) != (start, end):
                sentences[index] = parent[ps:pe]
                break
    return sentences


def _longest_common_run(a: str, b: str) -> int:
    """Length of the longest run of a's characters (3 or more) found in b, by doubling search."""
    best = 0
    n = len(a)
    for i in range(n):
        length = max(best + 1, 3)
        while i + length <= n and a[i:i + length] in b:
            best = length
            length += 1
    return best
