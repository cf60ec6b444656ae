"""`zhiku eval fit-answerability`: fit the case-level answerability check (retrieval/answerability.py).

Training data only (`../shared/train`: DRCD dev+test, CMRC 2018 trial), never the evaluation sets. The cases are
built as the answer selector's fit builds them (evaluation/answer_selector_fit.build_cases, all hard kinds on):

- answerable: the question's own paragraph among BM25 hard negatives (with up to two more paragraphs of its article
  that state the answer, when it has them), and among the same article's other paragraphs (`same topic`);
- unanswerable, made like RGB's negatives: the question's own paragraph with its answering sentences taken out,
  among the same article's others (`answer_removed`: the story of the question's subject without the answer); the
  question with its year, number or name altered against the answerable evidence; the same article's other
  paragraphs then BM25's (`unrelated`).

The questions the packaged selector was fitted on (the first `skip` of the same seeded draw) are left out, so the
gate's score is read out of sample here as at answer time. Every case goes through ExtractiveAnswerer.rank (subject
and constraint gates, the packaged selector, embeddings) exactly as `zhiku eval answers` does, then the check's
features (retrieval/answerability.FEATURES). A logistic regression (L2, standardised) gives P(answerable).

The operating point is chosen on out-of-fold scores (5 folds by question) by a rule fixed before any evaluation run:
the highest threshold that keeps at least `keep` (0.95) of the answers that contain the gold answer at threshold 0
(answerable cases), i.e. it may cost at most 5 % of the right answers on the training folds.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zhiku.evaluation.answer_eval import contains_any
from zhiku.evaluation.answer_selector_fit import build_cases, fit_logistic
from zhiku.retrieval.answerability import FEATURES, AnswerabilityCheck, AnswerabilityWeights

THRESHOLDS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85,
              0.9, 0.95)


@dataclass(slots=True)
class CaseRows:
    x: np.ndarray            # cases × FEATURES
    answerable: np.ndarray
    kind: np.ndarray
    group: np.ndarray
    gold: np.ndarray         # the answer at threshold 0 contains a gold answer (answerable cases)
    first: np.ndarray        # its first sentence does
    gate: np.ndarray         # the gate's best probability (the old score)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, x=self.x, answerable=self.answerable, kind=self.kind, group=self.group,
                            gold=self.gold, first=self.first, gate=self.gate, features=np.asarray(FEATURES))

    @classmethod
    def load(cls, path: Path) -> "CaseRows":
        d = np.load(path)
        if list(d["features"]) != list(FEATURES):
            raise ValueError(f"{path} holds other features than {FEATURES}")
        return cls(d["x"], d["answerable"], d["kind"], d["group"], d["gold"], d["first"], d["gate"])


def _rows(cases, x, gold, first, gate) -> CaseRows:
    cases = cases[:len(x)]
    return CaseRows(np.asarray(x, dtype=float).reshape(-1, len(FEATURES)), np.asarray([c.answerable for c in cases]),
                    np.asarray([c.kind for c in cases]), np.asarray([c.group for c in cases]), np.asarray(gold),
                    np.asarray(first), np.asarray(gate))


def case_rows(answerer, cases, on_progress: Callable[[int, int], None] | None = None,
              partial: Path | None = None, every: int = 100) -> CaseRows:
    """Each case through the answerer (rank, then the answer at threshold 0) and the check's features. With
    `partial`, the rows so far are saved there every `every` cases (whole questions only: a fit on a cut run
    must not see half of a question's cases)."""
    check = AnswerabilityCheck(answerer.selector)
    x, gold, first, gate = [], [], [], []
    saved = 0
    for n, case in enumerate(cases):
        if partial is not None and n - saved >= every and case.group != cases[n - 1].group:
            _rows(cases, x, gold, first, gate).save(partial)
            saved = n
        question, hits = case.question.question, case.hits
        ranked = answerer.rank(question, hits)
        values = check.features(question, ranked, hits)
        x.append([values[name] for name in FEATURES])
        gate.append(max((s.probability for s in ranked), default=0.0))
        reply = answerer.answer(question, hits)
        gold.append(bool(reply.found and contains_any(reply.answer, [case.question.answers])))
        first.append(bool(reply.found and reply.sentences
                          and contains_any(reply.sentences[0].text, [case.question.answers])))
        if on_progress:
            on_progress(n + 1, len(cases))
    return _rows(cases, x, gold, first, gate)


def out_of_fold(rows: CaseRows, l2: float = 1.0, folds: int = 5, left_out=()) -> np.ndarray:
    x = rows.x.copy()
    for name in left_out:
        x[:, FEATURES.index(name)] = 0.0
    scores = np.zeros(len(x))
    fold = rows.group % folds
    for k in range(folds):
        train = fold != k
        coef, intercept, mean, scale = fit_logistic(x[train], rows.answerable[train].astype(float), l2)
        scores[~train] = 1 / (1 + np.exp(-(((x[~train] - mean) / scale) @ coef + intercept)))
    return scores


def curve(rows: CaseRows, scores: np.ndarray, thresholds=THRESHOLDS) -> list[dict]:
    ans = rows.answerable
    out = []
    for t in thresholds:
        kept = scores >= t
        row = {"threshold": float(t), "answered": float(kept[ans].mean()),
               "contains_gold": float((kept & rows.gold)[ans].mean()),
               "first_sentence": float((kept & rows.first)[ans].mean()),
               "refused": float((~kept)[~ans].mean())}
        for kind in sorted(set(rows.kind[~ans])):
            row[f"refused_{kind}"] = float((~kept)[rows.kind == kind].mean())
        out.append(row)
    return out


def choose_threshold(rows: CaseRows, scores: np.ndarray, keep: float = 0.95) -> float:
    """The highest threshold that keeps at least `keep` of the right answers (contains gold at threshold 0)."""
    right = rows.answerable & rows.gold
    if not right.any():
        return 0.0
    candidates = np.sort(np.unique(scores[right]))
    best = 0.0
    for t in candidates:
        if (scores[right] >= t).mean() >= keep:
            best = float(t)
    return best


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    if not len(pos) or not len(neg):
        return float("nan")
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum())
                 / (len(pos) * len(neg)))


def fit(rows: CaseRows, l2: float = 1.0, keep: float = 0.95) -> tuple[AnswerabilityWeights, dict]:
    oof = out_of_fold(rows, l2)
    threshold = choose_threshold(rows, oof, keep)
    coef, intercept, mean, scale = fit_logistic(rows.x, rows.answerable.astype(float), l2)
    gate_threshold = choose_threshold(rows, rows.gate, keep)
    report = {"threshold": threshold, "curve": curve(rows, oof),
              "at_point": {"check": curve(rows, oof, [threshold])[0], "gate maximum": curve(rows, rows.gate,
                                                                                          [choose_threshold(
                                                                                              rows, rows.gate, keep)])[0]},
              "gate_threshold": gate_threshold, "gate_curve": curve(rows, rows.gate),
              "auc": {}, "gate_auc": {}}
    pos = rows.answerable
    for kind in sorted(set(rows.kind[~pos])):
        report["auc"][kind] = auc(oof[pos], oof[rows.kind == kind])
        report["gate_auc"][kind] = auc(rows.gate[pos], rows.gate[rows.kind == kind])
    report["ablations"] = {}
    for name in FEATURES:
        scores = out_of_fold(rows, l2, left_out=(name,))
        report["ablations"][name] = {kind: auc(scores[pos], scores[rows.kind == kind])
                                     for kind in sorted(set(rows.kind[~pos]))}
    weights = AnswerabilityWeights(FEATURES, mean, scale, coef, intercept, threshold,
                                   {"fitted_on": "../shared/train: DRCD dev+test (OpenCC t2s), CMRC 2018 trial",
                                    "cases": {str(k): int((rows.kind == k).sum()) for k in sorted(set(rows.kind))},
                                    "l2": l2, "keep_right_answers": keep,
                                    "operating_point_chosen_on": "out-of-fold scores, 5 folds by question",
                                    "held_out_curve": report["curve"], "auc": report["auc"]})
    return weights, report


def build_training_cases(train_dir: Path, tokenize, questions: int, skip: int, seed: int = 13):
    """The cases of questions `skip`..`questions` of the selector fit's seeded draw (the first `skip` trained the
    packaged selector)."""
    from zhiku.evaluation.answer_selector_fit import load_training_sets

    sets = load_training_sets(train_dir)
    cases = build_cases(sets, tokenize, questions, seed=seed, hard=True, corroborating=2, answer_removed=True,
                        same_topic=True)
    return [c for c in cases if c.group >= skip]


def format_report(report: dict, weights: AnswerabilityWeights) -> str:
    lines = ["Out of fold (5 folds by question), answerable cases: answered / contains gold / first sentence; "
             "unanswerable: refused, by kind", ""]
    kinds = [k for k in report["curve"][0] if k.startswith("refused_")]
    head = "| threshold | answered | contains gold | first sentence | refused | " + " | ".join(
        k.removeprefix("refused_") for k in kinds) + " |"
    for title, rows, point in (("check", report["curve"], report["threshold"]),
                               ("gate maximum (before)", report["gate_curve"], report["gate_threshold"])):
        lines += [f"{title} (operating point by the rule: {point:.3f})", "", head,
                  "|---:|---:|---:|---:|---:|" + "---:|" * len(kinds)]
        for r in rows:
            lines.append(f"| {r['threshold']:.2f} | {r['answered']:.3f} | {r['contains_gold']:.3f} | "
                         f"{r['first_sentence']:.3f} | {r['refused']:.3f} | "
                         + " | ".join(f"{r[k]:.3f}" for k in kinds) + " |")
        lines.append("")
    lines.append("At each score's own operating point (the rule): " + json.dumps(
        {name: {k: round(v, 3) for k, v in r.items()} for name, r in report["at_point"].items()}))
    lines.append("AUC answerable vs kind, check / gate: " + json.dumps(
        {k: f"{report['auc'][k]:.3f} / {report['gate_auc'][k]:.3f}" for k in report["auc"]}))
    lines.append("AUC without each feature: " + json.dumps(
        {n: {k: round(v, 3) for k, v in a.items()} for n, a in report["ablations"].items()}, ensure_ascii=False))
    lines.append("weights: " + json.dumps({n: round(float(c), 3) for n, c in zip(weights.features, weights.coef)}))
    return "\n".join(lines)
