"""Fitting the structural reading of the injection detector (guardrails/injection_structure.py), and measuring
how it generalises to attacks of a family it never saw.

    python -m zhiku.guardrails.structure_training --train-dir ../shared/train --eval-dir ../shared/eval --l2 0.001 [--cross-validate] [--no-monotone]

Training texts, none of them from the sets that are only measured (held-out C, and never D, E, F or G):
- generated attacks (guardrails/injection_corpus.py), each tagged with its *family* (what it asks: override,
  dictate an answer, dictate a verdict, hide, leak the prompt, leak data, call a tool, send data out, lure users
  to a link, contact or credential, change role, decode and obey) and generated look-alikes
  (guardrails/injection_corpus.py and guardrails/injection_training.py: the same verbs for people, policies about
  AI, quoted attacks in teaching frames, users' own format and persona requests);
- real prose (CMRC 2018 trial sentences and questions, Python package descriptions) as negatives;
- real passages as negative bags (`real_passages`: rgb_zh passages and financebench pages after the ones
  evaluation/guardrail_cost.py measures, the CMRC 2018 trial paragraphs), half fitted and half kept apart for the
  threshold; 30% of the generated attacks are hidden inside an excerpt of a fitted passage;
- the development set and held-out A and B (guardrails/data/), whose figures are therefore fitted figures.

The model has one weight per signal and per pair of signals (about a hundred): it can learn that an AI addressed
with a request is an attack and customers addressed with one are not, but no phrasing.

`--cross-validate` prints the figures docs/benchmarks.md reports: leave-one-family-out (the family's generated
attacks are left out of training and its recall measured at the threshold chosen without it) and
leave-one-set-out (development, A or B left out of training, then measured).
"""
from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

import numpy as np

from zhiku.guardrails import injection_corpus as corpus
from zhiku.guardrails.adam import Adam
from zhiku.guardrails import injection_training
from zhiku.guardrails.injection import rule_finding, without_quoted_examples
from zhiku.guardrails.injection_structure import FEATURES, WEIGHTS, windows
from zhiku.guardrails.obfuscation import normalise, readings

DATA = Path(__file__).resolve().parent / "data"
# The labelled sets fitted on; held-out C is measured only, and D, E and F are never opened here.
FITTED_SETS = {"development": "guardrail_cases.jsonl", "held-out": "guardrail_holdout.jsonl",
               "held-out B": "guardrail_holdout_b.jsonl"}

# The family of each directive of guardrails/injection_corpus.py, in list order (the lists are asserted below).
_EN_FAMILIES = (["override"] * 3 + ["hide"] + ["override"] * 3 + ["dictate"] * 8 + ["verdict"] * 6 + ["hide"] * 9
                + ["prompt leak"] * 5 + ["data leak"] * 6 + ["tool"] * 4 + ["send out"] * 3 + ["lure"] * 5
                + ["dictate"] * 2 + ["role"] * 8 + ["decode"] * 2 + ["exfil link"] * 4 + ["persona game"] * 4
                + ["social"] * 4)
_ZH_FAMILIES = (["override"] * 3 + ["hide"] + ["override"] * 2 + ["dictate"] * 7 + ["verdict"] * 6 + ["hide"] * 9
                + ["prompt leak"] * 4 + ["data leak"] * 5 + ["tool"] * 3 + ["send out"] * 3 + ["lure"] * 4
                + ["dictate"] * 2 + ["role"] * 7 + ["decode"] * 2 + ["exfil link"] * 4 + ["persona game"] * 4
                + ["social"] * 4)
FAMILIES = sorted(set(_EN_FAMILIES))


def _attack(rng: random.Random, zh: bool) -> tuple[str, str]:
    """One generated attack and its family (guardrails/injection_corpus.injection with the directive known)."""
    directives = corpus.ZH_DIRECTIVE if zh else corpus.EN_DIRECTIVE
    families = _ZH_FAMILIES if zh else _EN_FAMILIES
    index = rng.randrange(len(directives))
    pick = rng.choice
    frame = pick(corpus.ZH_FRAME if zh else corpus.EN_FRAME).replace("{directive}", directives[index])
    address = pick(corpus.ZH_ADDRESS if zh else corpus.EN_ADDRESS)
    sentence = corpus._fill(rng, address + frame, zh)
    if not zh and not address:
        sentence = sentence[0].upper() + sentence[1:]
    carried = corpus._fill(rng, pick(corpus.ZH_CARRIER if zh else corpus.EN_CARRIER), zh).replace("{x}", sentence)
    if rng.random() < 0.4:  # inside an ordinary document
        context = pick(corpus.ZH_CONTEXT if zh else corpus.EN_CONTEXT)
        carried = f"{context}{'' if zh else ' '}{carried}" if rng.random() < 0.5 else f"{carried}\n{context}"
    return carried, families[index]


def generated(count: int = 2500, seed: int = 1207) -> list[tuple[str, int, str]]:
    """`count` attacks (text, 1, family) and `count` look-alikes (text, 0, "look-alike"), half Chinese."""
    assert len(_EN_FAMILIES) == len(corpus.EN_DIRECTIVE) and len(_ZH_FAMILIES) == len(corpus.ZH_DIRECTIVE)
    rng = random.Random(seed)
    rows: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    for i in range(count * 20):
        if len(rows) >= count:
            break
        text, family = _attack(rng, zh=i % 2 == 0)
        if text not in seen:
            seen.add(text)
            rows.append((text, 1, family))
    negatives = 0
    for i in range(count * 20):
        if negatives >= count:
            break
        zh = i % 2 == 0
        text = corpus.look_alike(rng, zh) if i % 3 else injection_training._benign(rng, zh)
        if text not in seen:
            seen.add(text)
            rows.append((text, 0, "look-alike"))
            negatives += 1
    return rows


# The guardrail-cost corpora (evaluation/guardrail_cost.py) measure the first 1,500 rgb_zh passages and the first
# 500 financebench pages: only the passages after those are fitted on, so those counts stay unfitted.
COST_MEASURED = {"rgb_zh": 1500, "financebench_en": 500}


def real_passages(eval_dir: Path, train_dir: Path, zh_count: int = 1200, en_count: int = 300,
                  seed: int = 22) -> tuple[list[str], list[str]]:
    """Long real passages nobody wrote as attacks (Chinese, English): rgb_zh passages and financebench pages after
    the ones guardrail_cost measures, and the CMRC 2018 trial paragraphs. A text is flagged when its worst window
    is, so the model must be fitted against whole passages, not only against single sentences."""
    def rows(path: Path, skip: int) -> list[str]:
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()[skip:]
        return [json.loads(line)["text"] for line in lines if line.strip()]

    rng = random.Random(seed)
    zh = rows(eval_dir / "rgb_zh" / "corpus.jsonl", COST_MEASURED["rgb_zh"])
    rng.shuffle(zh)
    zh = zh[:zh_count]
    trial = train_dir / "cmrc2018_trial_zh" / "cmrc2018_trial.json"
    if trial.exists():
        zh += [p["context"] for a in json.loads(trial.read_text(encoding="utf-8"))["data"] for p in a["paragraphs"]]
    en = rows(eval_dir / "financebench_en" / "corpus_pages.jsonl", COST_MEASURED["financebench_en"])
    rng.shuffle(en)
    return zh, [t for t in en if len(t.strip()) >= 200][:en_count]


_SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=[.;])\s+|\n+")


def embedded(rng: random.Random, attack: str, passages: list[str]) -> str:
    """`attack` inside an excerpt (300-1,500 characters) of a real passage, at a sentence bound."""
    passage = rng.choice(passages)
    start = rng.randrange(max(1, len(passage) - 300))
    excerpt = passage[start:start + rng.randint(300, 1500)]
    bounds = [m.end() for m in _SENTENCE_END.finditer(excerpt)] or [len(excerpt)]
    cut = rng.choice(bounds)
    joiner = "" if re.search(r"[\u4e00-\u9fff]$", excerpt[:cut].strip()) else " "
    return f"{excerpt[:cut].rstrip()}{joiner}{attack}{joiner}{excerpt[cut:].lstrip()}"


def labelled(name: str) -> list[dict]:
    path = DATA / FITTED_SETS[name]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


_FEATURE_SETS: dict[str, set[frozenset[str]]] = {}


def window_feature_sets(text: str) -> set[frozenset[str]]:
    """The distinct feature sets of the windows of every reading of `text` ({frozenset()} when none has a feature),
    kept per text: leave-one-set-out (guardrails/stage_loso.py) reads the same passages into several bags."""
    if text not in _FEATURE_SETS:
        _FEATURE_SETS[text] = {w.features for reading in readings(without_quoted_examples(text))
                               for w in windows(reading) if w.features} or {frozenset()}
    return _FEATURE_SETS[text]


class Bags:
    """The windows of each text (every reading of it) as 0/1 rows in FEATURES order: `x[owner == i]` are text
    i's windows. A text without a window with features gets one empty row."""

    def __init__(self, texts: list[str]):
        index = {name: i for i, name in enumerate(FEATURES)}
        rows, owners = [], []
        for i, text in enumerate(texts):
            sets = window_feature_sets(text)
            for features in sets:
                row = np.zeros(len(FEATURES), dtype=np.float32)
                row[[index[name] for name in features]] = 1.0
                rows.append(row)
                owners.append(i)
        self.x = np.vstack(rows)
        self.owner = np.array(owners)
        self.count = len(texts)

    def text_scores(self, w: np.ndarray, b: float) -> np.ndarray:
        """Each text's probability: that of its most suspicious window."""
        scores = np.full(self.count, 0.0)
        np.maximum.at(scores, self.owner, probabilities(w, b, self.x))
        return scores

    def top_windows(self, w: np.ndarray | None, b: float = 0.0) -> np.ndarray:
        """Each text's most suspicious window (before a model exists: the one with the most features)."""
        score = self.x.sum(axis=1) if w is None else self.x @ w + b
        best = np.full(self.count, -1)
        best_score = np.full(self.count, -np.inf)
        for row, (owner, value) in enumerate(zip(self.owner, score)):
            if value > best_score[owner]:
                best_score[owner], best[owner] = value, row
        return best

    def top_rows(self, w: np.ndarray | None, b: float, k: int) -> np.ndarray:
        """The rows of each text's `k` most suspicious windows (every row before a model exists)."""
        if w is None:
            return np.arange(len(self.owner))
        score = self.x @ w + b
        order = np.lexsort((-score, self.owner))
        owners = self.owner[order]
        first = np.searchsorted(owners, owners)  # owners sorted: the first row of each owner
        rank = np.arange(len(order)) - first
        return order[rank < k]

    def subset(self, keep: np.ndarray) -> "Bags":
        """The bags of the texts where `keep` is true."""
        chosen = Bags.__new__(Bags)
        renumber = np.cumsum(keep) - 1
        rows = keep[self.owner]
        chosen.x, chosen.owner, chosen.count = self.x[rows], renumber[self.owner[rows]], int(keep.sum())
        return chosen


# Signs stated before fitting (`--monotone`): a request, an addressee paired with a request, framing or insistence
# paired with one can only raise a window's suspicion; a counter-signal (teaching, a version, security advice, a
# user's own question or format, tooling), a machine described or reported, people as the addressee can only lower
# it. The rest (a machine named, "you", an imperative, the framing signals alone, length) is free. Without the signs
# the multiple-instance fit gave some pairs negative weights ("machine × dictate" below "dictate" alone), so a machine
# spoken to and asked something scored lower than the same request said to nobody.
_RAISE = ({"override_model", "dictate", "hide_request", "exfiltrate", "send_out", "role", "action", "decode", "credential",
           "lure", "any_request", "to_machine", "vocative", "machine_x_request", "you_x_request", "imperative_x_request",
           "framed_x_request", "meta_x_request", "insistence_x_request", "two_requests", "dictate_x_forced",
           "override_x_dictate", "machine_x_meta", "ai_modal_x_request", "future_x_request", "reframe_x_request",
           "bypass_x_request"}
          | {f for f in FEATURES if f.startswith(("machine_x_", "you_x_"))})
_LOWER = {"discussion", "discussion_x_request", "counter_x_request", "version", "own_question", "format", "tooling",
          "safety_advice", "ai_described", "described_x_request", "reported", "reported_x_request", "human",
          "human_x_request"}
SIGNS = np.array([1.0 if f in _RAISE else -1.0 if f in _LOWER else 0.0 for f in FEATURES])
MONOTONE = {"on": False}


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float = 0.01, steps: int = 600,
        rate: float = 0.05) -> tuple[np.ndarray, float]:
    """Weighted logistic regression by Adam (full batch); the classes are balanced by weight. (Plain gradient
    descent of 400 steps, used before, stopped far from the optimum: the rare, specific pairs kept weights near 0
    and a few everyday signals carried the model.)"""
    # windows repeat the same few hundred feature sets: each distinct (row, label) once, with the summed weight
    rows, inverse = np.unique(np.hstack([x, y[:, None]]).astype(np.int8), axis=0, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=weight, minlength=len(rows))
    x, y, weight = rows[:, :-1].astype(np.float64), rows[:, -1].astype(np.float64), summed
    w = np.zeros(x.shape[1])
    b = 0.0
    balance = np.where(y == 1, 0.5 / max(1e-9, weight[y == 1].sum()), 0.5 / max(1e-9, weight[y == 0].sum())) * weight
    adam = Adam(x.shape[1], rate)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        g = balance * (p - y)
        w, b = adam.update(w, b, x.T @ g + l2 * w, float(g.sum()))
        if MONOTONE["on"]:  # projected: each signed weight kept on its side of zero
            w = np.where(SIGNS > 0, np.maximum(w, 0.0), np.where(SIGNS < 0, np.minimum(w, 0.0), w))
    return w, float(b)


def probabilities(w: np.ndarray, b: float, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ w + b)))


NEGATIVE_WINDOWS = 3


def fit_bags(parts: list[tuple[Bags, np.ndarray, float]], l2: float = 0.01, rounds: int = 4) -> tuple[np.ndarray, float]:
    """Multiple-instance fit: a positive text contributes its most suspicious window (first the one with the most
    signals, then by the model of the round before); a negative text every window in the first round, then its
    `NEGATIVE_WINDOWS` most suspicious ones — a text is flagged by its worst window, so a long passage's
    hundred harmless clauses must not outweigh the one that decides it."""
    w, b = None, 0.0
    for _ in range(rounds):
        xs, ys, ws = [], [], []
        for bags, labels, weight in parts:
            chosen = np.zeros(len(bags.owner), dtype=bool)
            chosen[bags.top_rows(w, b, NEGATIVE_WINDOWS)] = True
            negative_rows = ~labels.astype(bool)[bags.owner] & chosen
            xs.append(bags.x[negative_rows])
            ys.append(np.zeros(int(negative_rows.sum())))
            ws.append(np.full(int(negative_rows.sum()), weight))
            top = bags.top_windows(w, b)[labels.astype(bool)]
            xs.append(bags.x[top])
            ys.append(np.ones(len(top)))
            ws.append(np.full(len(top), weight))
        w, b = fit(np.vstack(xs), np.concatenate(ys), np.concatenate(ws), l2=l2)
    return w, b


def choose_threshold(scores: np.ndarray, labels: np.ndarray, ruled: np.ndarray, prose: np.ndarray,
                     passages: np.ndarray, min_precision: float = 0.95, max_prose_rate: float = 0.002,
                     max_passage_rate: float = 0.001) -> float:
    """The lowest threshold at which the rules plus this model keep precision >= `min_precision` on the
    labelled texts (`scores` out of fold), and the model flags at most `max_prose_rate` of the real prose
    sentences and at most `max_passage_rate` of the real passages kept apart."""
    for threshold in np.arange(0.30, 0.991, 0.01):
        flagged = ruled | (scores >= threshold)
        tp = int((flagged & labels).sum())
        fp = int((flagged & ~labels).sum())
        precision = tp / (tp + fp) if tp + fp else 1.0
        if (precision >= min_precision and (prose >= threshold).mean() <= max_prose_rate
                and (passages >= threshold).mean() <= max_passage_rate):
            return round(float(threshold), 2)
    return 0.99


CASE_WEIGHT = 4.0
PASSAGE_WEIGHT = 1.0


class Data:
    """Everything the fits need, read into windows once."""

    def __init__(self, train_dir: Path, generated_count: int, prose_limit: int, eval_dir: Path | None = None,
                 embedded_share: float = 0.3):
        measured = {normalise(case["text"]).strip().lower() for name in FITTED_SETS for case in labelled(name)}
        zh_passages, en_passages = real_passages(eval_dir, train_dir) if eval_dir else ([], [])
        # half of the passages are fitted on (and carry generated attacks), half kept apart for the threshold
        fit_zh, fit_en = zh_passages[1::2], en_passages[1::2]
        self.passages_fit = Bags(fit_zh + fit_en)
        self.passages_apart = Bags(zh_passages[::2] + en_passages[::2])
        gen = generated(generated_count)
        rng = random.Random(2212)
        if fit_zh and fit_en:  # a share of the attacks hidden in a real passage of their language
            gen = [(embedded(rng, text, fit_zh if re.search(r"[\u4e00-\u9fff]", text) else fit_en), label, family)
                   if label == 1 and rng.random() < embedded_share else (text, label, family)
                   for text, label, family in gen]
        self.gen = Bags([t for t, _, _ in gen])
        self.gen_y = np.array([label for _, label, _ in gen])
        self.gen_family = np.array([family for _, _, family in gen])
        prose = [t for t in injection_training.real_prose(train_dir, limit=prose_limit)
                 if normalise(t).strip().lower() not in measured]
        self.prose_fit = Bags(prose[1::2])
        self.prose_apart = Bags(prose[::2])
        self.cases = {name: labelled(name) for name in FITTED_SETS}
        self.case_bags = {name: Bags([c["text"] for c in cases]) for name, cases in self.cases.items()}
        self.case_y = {name: np.array([c["injection"] for c in cases]) for name, cases in self.cases.items()}
        self.case_ruled = {name: np.array([rule_finding(without_quoted_examples(c["text"])) is not None
                                           for c in cases]) for name, cases in self.cases.items()}

    def parts(self, sets: list[str], keep_generated: np.ndarray | None = None):
        keep = np.ones(len(self.gen_y), dtype=bool) if keep_generated is None else keep_generated
        found = [(self.gen.subset(keep), self.gen_y[keep], 1.0),
                 (self.prose_fit, np.zeros(self.prose_fit.count, dtype=bool), 1.0)]
        if self.passages_fit.count:
            found.append((self.passages_fit, np.zeros(self.passages_fit.count, dtype=bool), PASSAGE_WEIGHT))
        return found + [(self.case_bags[s], self.case_y[s], CASE_WEIGHT) for s in sets]


def out_of_fold(data: Data, sets: list[str], folds: int = 5, l2: float = 0.01):
    """Out-of-fold probabilities for the labelled texts of `sets` (5 folds by text; every fold is fitted on the
    generated texts, the prose, the other sets and the other folds)."""
    scores, labels, ruled = [], [], []
    for s in sets:
        n = len(data.cases[s])
        fold = np.arange(n) % folds
        result = np.zeros(n)
        for k in range(folds):
            inside = fold != k
            parts = data.parts([t for t in sets if t != s])
            parts.append((data.case_bags[s].subset(inside), data.case_y[s][inside], CASE_WEIGHT))
            wk, bk = fit_bags(parts, l2=l2)
            result[~inside] = data.case_bags[s].subset(~inside).text_scores(wk, bk)
        scores.append(result)
        labels.append(data.case_y[s])
        ruled.append(data.case_ruled[s])
    return np.concatenate(scores), np.concatenate(labels), np.concatenate(ruled)


def phrasing_flags(data: Data) -> np.ndarray:
    """Which labelled texts of dev/A/B the phrasing stages (n-gram classifier, embedding stage; as shipped) flag."""
    from zhiku.guardrails.embedding_detector import shipped_stage
    from zhiku.guardrails.injection import classifier_finding

    stage = shipped_stage()
    flags = []
    for name in FITTED_SETS:
        for case in data.cases[name]:
            text = without_quoted_examples(case["text"])
            hit = classifier_finding(text) is not None
            if not hit and stage is not None:
                hit = stage.most_suspicious(readings(text))[0] >= stage.threshold
            flags.append(hit)
    return np.array(flags)


def choose_phrasing_gate(scores: np.ndarray, labels: np.ndarray, ruled: np.ndarray, threshold: float,
                         phrased: np.ndarray) -> float:
    """The smallest gate (0.05 steps up to 0.5) that removes as many of the phrasing stages' own false alarms on
    dev/A/B as any gate up to 0.5 does, without losing a positive only they catch (`scores` out of fold)."""
    alone = phrased & ~ruled & (scores < threshold)
    best, best_removed = 0.0, 0
    for gate in np.arange(0.05, 0.501, 0.05):
        kept = alone & (scores >= gate)
        if int((alone & labels & ~kept).sum()):
            break
        removed = int((alone & ~labels & ~kept).sum())
        if removed > best_removed:
            best, best_removed = round(float(gate), 2), removed
    return best


def shipped_fit(data: Data, l2: float = 0.01) -> dict:
    sets = list(FITTED_SETS)
    scores, labels, ruled = out_of_fold(data, sets, l2=l2)
    weights, bias = fit_bags(data.parts(sets), l2=l2)
    prose = data.prose_apart.text_scores(weights, bias)
    passages = data.passages_apart.text_scores(weights, bias) if data.passages_apart.count else np.zeros(0)
    threshold = choose_threshold(scores, labels, ruled, prose, passages)
    print("| threshold | out of fold, rules + model P / R | prose apart flagged | passages apart flagged |")
    print("|---|---|---|---|")
    for t in (0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99):
        f = ruled | (scores >= t)
        tp_t, fp_t = int((f & labels).sum()), int((f & ~labels).sum())
        print(f"| {t:.2f} | {tp_t / max(1, tp_t + fp_t):.3f} / {tp_t / max(1, int(labels.sum())):.3f} | "
              f"{int((prose >= t).sum())} / {len(prose)} | {int((passages >= t).sum())} / {len(passages)} |")
    phrased = phrasing_flags(data)
    gate = choose_phrasing_gate(scores, labels, ruled, threshold, phrased)
    flagged = ruled | (scores >= threshold)
    tp, fp = int((flagged & labels).sum()), int((flagged & ~labels).sum())
    with_phrasing = flagged | (phrased & (scores >= gate))
    tp_all, fp_all = int((with_phrasing & labels).sum()), int((with_phrasing & ~labels).sum())
    return {"weights": {name: round(float(v), 4) for name, v in zip(FEATURES, weights)}, "bias": round(bias, 4),
            "threshold": threshold, "phrasing_gate": gate,
            "fitted_on": "guardrails/structure_training.py: generated attacks (some inside real passages) and "
                         "look-alikes, real prose sentences, half of the real passages (rgb_zh after the first 1,500, "
                         "financebench pages after the first 500, CMRC 2018 trial paragraphs), and the development "
                         "set, held-out A and B (never C, D, E, F or G)",
            "out_of_fold": {"precision": round(tp / max(1, tp + fp), 3),
                            "recall": round(tp / max(1, int(labels.sum())), 3),
                            "prose_apart_flag_rate": round(float((prose >= threshold).mean()), 4),
                            "passages_apart_flag_rate": round(float((passages >= threshold).mean()), 4)
                            if len(passages) else None,
                            "passages_apart": int(len(passages)),
                            "with_phrasing_stages": {"precision": round(tp_all / max(1, tp_all + fp_all), 3),
                                                     "recall": round(tp_all / max(1, int(labels.sum())), 3)}}}


def cross_validate(data: Data, threshold: float, l2: float = 0.01) -> None:
    """Leave-one-family-out and leave-one-set-out figures (the structural model alone and with the rules)."""
    print("| family left out | its generated attacks | recall (model alone) | generated look-alikes flagged | "
          "real passages kept apart flagged |")
    print("|---|---|---|---|---|")
    sets = list(FITTED_SETS)
    look_alikes = data.gen_family == "look-alike"
    for family in FAMILIES:
        # the family's attacks leave the generated texts, and every labelled positive leaves too (they hold
        # attacks of every family): the fit sees the other families' attacks and all negatives
        parts = data.parts([], data.gen_family != family)
        parts += [(data.case_bags[s].subset(~data.case_y[s]), np.zeros(int((~data.case_y[s]).sum()), dtype=bool),
                   CASE_WEIGHT) for s in sets]
        wk, bk = fit_bags(parts, l2=l2)
        scores = data.gen.text_scores(wk, bk)
        held = data.gen_family == family
        apart = data.passages_apart.text_scores(wk, bk) if data.passages_apart.count else np.zeros(1)
        print(f"| {family} | {int(held.sum())} | {(scores[held] >= threshold).mean():.3f} | "
              f"{(scores[look_alikes] >= threshold).mean():.3f} | {(apart >= threshold).mean():.4f} |")
    print()
    print("| set left out | positives / negatives | model alone P / R | rules + model P / R |")
    print("|---|---|---|---|")
    for s in sets:
        wk, bk = fit_bags(data.parts([t for t in sets if t != s]), l2=l2)
        p = data.case_bags[s].text_scores(wk, bk) >= threshold
        labels, ruled = data.case_y[s], data.case_ruled[s]
        row = []
        for flagged in (p, p | ruled):
            tp, fp = int((flagged & labels).sum()), int((flagged & ~labels).sum())
            row.append(f"{tp / max(1, tp + fp):.3f} / {tp / max(1, int(labels.sum())):.3f}")
        print(f"| {s} | {int(labels.sum())} / {int((~labels).sum())} | {row[0]} | {row[1]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-dir", type=Path, default=Path("../shared/train"))
    parser.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"),
                        help="where rgb_zh and financebench_en are: their passages after the ones guardrail_cost "
                             "measures are real negatives")
    parser.add_argument("--generated", type=int, default=2500)
    parser.add_argument("--prose", type=int, default=4000)
    parser.add_argument("--l2", type=float, default=0.001)
    parser.add_argument("--cross-validate", action="store_true")
    parser.add_argument("--monotone", action=argparse.BooleanOptionalAction, default=True,
                        help="keep the weights of requests and addressed requests >= 0 and of counter-signals <= 0 "
                             "(chosen over --no-monotone by leave-one-family-out recall, out-of-fold recall tied)")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    MONOTONE["on"] = args.monotone
    data = Data(args.train_dir, args.generated, args.prose, args.eval_dir)
    print(f"windows: generated {len(data.gen.owner)}, prose {len(data.prose_fit.owner) + len(data.prose_apart.owner)}, "
          f"passages {len(data.passages_fit.owner) + len(data.passages_apart.owner)}", flush=True)
    model = shipped_fit(data, l2=args.l2)
    args.out.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"threshold {model['threshold']}, phrasing gate {model['phrasing_gate']}, out of fold {model['out_of_fold']}")
    top = sorted(model["weights"].items(), key=lambda kv: -abs(kv[1]))[:24]
    print("largest weights:", ", ".join(f"{k} {v:+.2f}" for k, v in top))
    if args.cross_validate:
        cross_validate(data, model["threshold"], l2=args.l2)


if __name__ == "__main__":
    main()
