"""`zhiku eval fit-answer-selector`: fit the answer-sentence selector and its answerability operating point.

Training data only (`../shared/train`: DRCD dev+test, Traditional Chinese → Simplified with OpenCC t2s, and
the CMRC 2018 trial set), never the evaluation sets. Each sampled question becomes two cases built the way
`zhiku eval answers` builds its evidence, so the selector learns on the kind of evidence it is measured on:

- answerable: the question's own paragraph among BM25 hard negatives (paragraphs of the same set that share
  the question's terms but do not contain its answer), in a seeded order;
- unanswerable: the hard negatives alone (the README's recipe; RGB's negative-rejection setting).

Every sentence is one row (label: it contains a gold answer). A logistic regression (L2, Newton steps, numpy)
fits the weights; the operating point is the threshold on the best sentence's probability that keeps
`keep_answered` of the answerable cases answered, on a held-out fifth of the training questions. The whole
trade-off curve is printed and stored in the weights file's meta.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zhiku.evaluation.answer_eval import Bm25, contains_any
from zhiku.retrieval.answer_selector import CROSS_SCRIPT_FEATURES, FEATURES, AnswerSelector, SelectorWeights
from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores

SEED = 13


@dataclass(slots=True)
class TrainQuestion:
    question: str
    answers: list[str]
    paragraph: int          # index into the set's paragraphs
    set_name: str


@dataclass(slots=True)
class TrainSet:
    name: str
    paragraphs: list[str]
    titles: list[str]
    questions: list[TrainQuestion]


def load_squad(path: Path, name: str, convert: Callable[[str], str] | None = None) -> TrainSet:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    conv = convert or (lambda s: s)
    paragraphs, titles, questions = [], [], []
    for article in data["data"]:
        title = conv(article.get("title", ""))
        for para in article["paragraphs"]:
            index = len(paragraphs)
            paragraphs.append(conv(para["context"]))
            titles.append(title)
            for qa in para["qas"]:
                answers = list(dict.fromkeys(conv(a["text"]).strip() for a in qa.get("answers", [])
                                             if a["text"].strip()))
                if answers:
                    questions.append(TrainQuestion(conv(qa["question"]), answers, index, name))
    return TrainSet(name, paragraphs, titles, questions)


def load_training_sets(train_dir: Path) -> list[TrainSet]:
    import opencc

    t2s = opencc.OpenCC("t2s").convert
    train_dir = Path(train_dir)
    drcd = [load_squad(train_dir / "drcd_zh_hant" / f"DRCD_{part}.json", f"drcd_{part}", t2s)
            for part in ("dev", "test")]
    return drcd + [load_squad(train_dir / "cmrc2018_trial_zh" / "cmrc2018_trial.json", "cmrc2018_trial")]


def _hit(pid: str, text: str, title: str, rank: int) -> SearchHit:
    citation = Citation("train", pid, title, None, None, [], 0, len(text), None)
    return SearchHit(f"{pid}#0", text, None, 1.0 - rank / 100, StageScores(), citation, {"document_id": pid})


def build_cases(sets: list[TrainSet], tokenize: Callable[[str], list[str]], questions: int, evidence: int = 5,
                seed: int = SEED) -> list[tuple[TrainQuestion, list[SearchHit], bool]]:
    """(question, evidence hits, answerable) for `questions` sampled questions: each gives one answerable and
    one unanswerable case."""
    rng = random.Random(seed)
    pool = [(s, q) for s in sets for q in s.questions]
    rng.shuffle(pool)
    pool = pool[:questions]
    indexes = {s.name: Bm25(s.paragraphs, tokenize) for s in sets if any(ts is s for ts, _ in pool)}
    cases = []
    for train_set, q in pool:
        negatives = []
        for i in indexes[train_set.name].rank(q.question):
            if i == q.paragraph or contains_any(train_set.paragraphs[i], [q.answers]):
                continue
            negatives.append(i)
            if len(negatives) == evidence:
                break
        if len(negatives) < evidence - 1:
            continue
        mixed = [q.paragraph] + negatives[:evidence - 1]
        random.Random(f"{seed}:{q.question}").shuffle(mixed)
        order = list(negatives)
        random.Random(f"{seed}:{q.question}:neg").shuffle(order)
        for chosen, answerable in ((mixed, True), (order, False)):
            hits = [_hit(f"{train_set.name}:{i}", train_set.paragraphs[i], train_set.titles[i], r)
                    for r, i in enumerate(chosen)]
            cases.append((q, hits, answerable))
    return cases


class MemoEmbedder:
    """The embedder with every text remembered: hard negatives recur across questions."""

    def __init__(self, embedder):
        self.embedder = embedder
        self.passages: dict[str, np.ndarray] = {}
        self.model_id = getattr(embedder, "model_id", "memo")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.passages]
        if todo:
            for text, vector in zip(todo, np.asarray(self.embedder.embed_passages(todo))):
                self.passages[text] = vector
        return np.stack([self.passages[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_query(text)


def case_rows(selector: AnswerSelector, cases, on_progress: Callable[[int, int], None] | None = None):
    """Feature rows, labels and the case index of every sentence."""
    rows, labels, case_index = [], [], []
    for n, (q, hits, answerable) in enumerate(cases):
        candidates, feature_rows = selector.feature_rows(q.question, hits)
        for candidate, row in zip(candidates, feature_rows):
            rows.append(row)
            labels.append(float(answerable and contains_any(candidate.text, [q.answers])))
            case_index.append(n)
        if on_progress:
            on_progress(n + 1, len(cases))
    return np.asarray(rows, dtype=float), np.asarray(labels), np.asarray(case_index)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 25) -> tuple[np.ndarray, float,
                                                                                             np.ndarray, np.ndarray]:
    """Standardised L2 logistic regression by Newton steps: (coef, intercept, mean, scale)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w[:-1], float(w[-1]), mean, scale


def tradeoff(probabilities: np.ndarray, labels: np.ndarray, case_index: np.ndarray, answerable: list[bool],
             thresholds: list[float]) -> list[dict]:
    """Per threshold: answerable cases answered with a right first sentence, answered at all, and unanswerable
    cases refused."""
    best: dict[int, tuple[float, float]] = {}
    for p, label, case in zip(probabilities, labels, case_index):
        if case not in best or p > best[case][0]:
            best[case] = (float(p), float(label))
    out = []
    for t in thresholds:
        pos = [best[c] for c in best if answerable[c]]
        neg = [best[c] for c in best if not answerable[c]]
        out.append({"threshold": t,
                    "answered": sum(p >= t for p, _ in pos) / max(len(pos), 1),
                    "first_sentence_right": sum(p >= t and label > 0 for p, label in pos) / max(len(pos), 1),
                    "negative_rejection": sum(p < t for p, _ in neg) / max(len(neg), 1)})
    return out


THRESHOLDS = [round(t, 3) for t in (0.0, 0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.18, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5,
                                    0.6, 0.7)]


def fit_selector(prefilter_cases, cases, tokenizer, embedder=None, keep_answered: float = 0.95, l2: float = 1.0,
                 on_progress: Callable[[str, int, int], None] | None = None) -> tuple[SelectorWeights, list[dict]]:
    """Two fits. The terms-only prefilter on `prefilter_cases` (cheap: no embeddings) learns which sentences are
    worth embedding; the full model on `cases` sees only those, as it will when answering."""
    x, y, _ = case_rows(AnswerSelector(tokenizer, None), prefilter_cases,
                        lambda d, t: on_progress and on_progress("terms", d, t))
    coef, intercept, mean, scale = fit_logistic(x, y, l2)
    prefilter = SelectorWeights(tuple(FEATURES), mean, scale, coef, intercept, 0.0,
                                {"cases": len(prefilter_cases), "sentences": int(len(y))})
    shell = SelectorWeights(tuple(FEATURES), mean, scale, np.zeros(len(FEATURES)), 0.0, 0.0, prefilter=prefilter)
    selector = AnswerSelector(tokenizer, embedder, shell)
    x, y, case_index = case_rows(selector, cases, lambda d, t: on_progress and on_progress("full", d, t))
    answerable = [c[2] for c in cases]
    # Questions (both their cases) are split 4:1 into fitting and choosing the operating point.
    held_out = (case_index // 2) % 5 == 0
    coef, intercept, mean, scale = fit_logistic(x[~held_out], y[~held_out], l2)
    weights = SelectorWeights(tuple(FEATURES), mean, scale, coef, intercept, 0.0)
    p = weights.probabilities(x[held_out])
    curve = tradeoff(p, y[held_out], case_index[held_out], answerable, THRESHOLDS)
    fine = tradeoff(p, y[held_out], case_index[held_out], answerable, [i / 400 for i in range(0, 400)])
    eligible = [row for row in fine if row["answered"] >= keep_answered]
    threshold = max(eligible, key=lambda row: row["threshold"])["threshold"] if eligible else 0.0
    # The final weights use every question.
    coef, intercept, mean, scale = fit_logistic(x, y, l2)
    weights = SelectorWeights(tuple(FEATURES), mean, scale, coef, intercept, threshold, prefilter=prefilter)
    if embedder is not None:
        weights.cross_script, weights.cross_script_offset, cross_meta = fit_cross_script(x, y, case_index, answerable,
                                                                                          embedder, l2)
    else:
        cross_meta = None
    weights.meta = {"fitted_on": "../shared/train: DRCD dev+test (OpenCC t2s), CMRC 2018 trial",
                    "cases": len(cases), "sentences": int(len(y)), "positive_sentences": int(y.sum()),
                    "embeddings": embedder is not None, "l2": l2, "keep_answered": keep_answered,
                    "held_out_curve": curve}
    if cross_meta:
        weights.meta["cross_script"] = cross_meta
    return weights, curve


def fit_blind(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> SelectorWeights:
    """The script-blind model: a logistic regression on CROSS_SCRIPT_FEATURES alone (the other features weigh
    nothing), so a sentence in another script than the question is scored without the term features it cannot
    have."""
    columns = [FEATURES.index(name) for name in CROSS_SCRIPT_FEATURES]
    coef, intercept, mean, scale = fit_logistic(x[:, columns], y, l2)
    full = {name: np.zeros(len(FEATURES)) for name in ("coef", "mean")}
    full_scale = np.ones(len(FEATURES))
    full["coef"][columns], full["mean"][columns], full_scale[columns] = coef, mean, scale
    return SelectorWeights(tuple(FEATURES), full["mean"], full_scale, full["coef"], intercept, 0.0)


def cross_language_offset(embedder) -> tuple[float, int]:
    """How much lower an English text's cosine with a Chinese passage sits than a Chinese text's, measured on the
    bank synonym list (retrieval/data/bank_synonyms.tsv, project data): for each line's English term and a
    Chinese term of the same line as queries, against the canonical Chinese terms of every *other* line as
    passages (unrelated pairs: the script's baseline, not the meaning). Returns (offset, lines used)."""
    from zhiku.retrieval.term_normaliser import SYNONYMS_FILE

    chinese, english = [], []
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        terms = [t.strip() for t in line.split("\t") if t.strip()]
        zh = [t for t in terms if not t.isascii()]
        en = [t for t in terms if t.isascii()]
        if zh and en:
            chinese.append(zh[0])
            english.append(en[0])
    if len(chinese) < 5:
        return 0.0, len(chinese)
    passages = np.asarray(embedder.embed_passages(chinese))
    zh_queries = np.stack([np.asarray(embedder.embed_query(t)) for t in chinese])
    en_queries = np.stack([np.asarray(embedder.embed_query(t)) for t in english])
    unrelated = ~np.eye(len(chinese), dtype=bool)
    offset = float((zh_queries @ passages.T)[unrelated].mean() - (en_queries @ passages.T)[unrelated].mean())
    return offset, len(chinese)


def fit_cross_script(x, y, case_index, answerable, embedder, l2: float = 1.0):
    """The script-blind model (fitted on every row; its held-out curve on the same 4:1 split as the full model)
    and the cross-language cosine offset. Returns (model, offset, meta)."""
    held_out = (case_index // 2) % 5 == 0
    probe = fit_blind(x[~held_out], y[~held_out], l2)
    curve = tradeoff(probe.probabilities(x[held_out]), y[held_out], case_index[held_out], answerable, THRESHOLDS)
    blind = fit_blind(x, y, l2)
    offset, lines = cross_language_offset(embedder)
    meta = {"features": list(CROSS_SCRIPT_FEATURES), "held_out_curve": curve,
            "offset_measured_on": f"bank_synonyms.tsv, {lines} lines: mean cosine of Chinese vs English terms "
                                  "with the other lines' Chinese terms"}
    return blind, offset, meta


def refit_cross_script(cases, tokenizer, embedder, weights: SelectorWeights, l2: float = 1.0,
                       on_progress: Callable[[str, int, int], None] | None = None,
                       rows_file: Path | None = None, rows_input: Path | None = None) -> SelectorWeights:
    """Only the script-blind model, on rows computed with the fitted weights' prefilter (the full model and its
    operating point are kept as they are), or on rows saved by an earlier run (`rows_input`)."""
    if rows_input is not None:
        saved = np.load(rows_input)
        if list(saved["features"]) != list(FEATURES):
            raise ValueError(f"{rows_input} holds rows of other features than {FEATURES}")
        x, y, case_index, answerable = saved["x"], saved["y"], saved["case_index"], list(saved["answerable"])
    else:
        x, y, case_index = case_rows(AnswerSelector(tokenizer, embedder, weights), cases,
                                     lambda d, t: on_progress and on_progress("full", d, t))
        answerable = [c[2] for c in cases]
    if rows_file is not None:  # the rows, to study the fit without computing them again
        np.savez_compressed(rows_file, x=x, y=y, case_index=case_index, answerable=np.asarray(answerable),
                            features=np.asarray(FEATURES))
    weights.cross_script, weights.cross_script_offset, meta = fit_cross_script(x, y, case_index, answerable, embedder,
                                                                                l2)
    weights.meta["cross_script"] = meta
    return weights
