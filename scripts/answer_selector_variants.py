"""Compare answer-selector variants on saved training rows (`zhiku eval fit-answer-selector --rows-output`),
out of fold.

Training data only. Each variant is a feature set (features left out weigh nothing) and the kinds of case it is
fitted on besides the plain answerable ones; every variant is scored on the same out-of-fold cases (5 folds by
question; all kinds, whatever it was fitted on), so the figures compare: the first sentence right per kind of
answerable case (plain, and among the same article's paragraphs with `--same-topic` rows), the share of
each kind of unanswerable case refused at the variant's own operating point (the highest threshold that answers
`--keep` of the answerable cases), and the AUC of the answerability score, answerable vs each kind. With
`--curve NAME` the whole out-of-fold trade-off curve of one variant is printed.

    python scripts/answer_selector_variants.py rows.npz [--keep 0.95] [--curve NAME] [--write NAME weights.json]
"""
from __future__ import annotations

import argparse

import numpy as np

from zhiku.evaluation.answer_selector_fit import Rows, case_outcomes, choose_threshold, curve_rows, fit_models
from zhiku.retrieval.answer_selector import FEATURES, SelectorWeights
from zhiku.retrieval.asked_value import EVIDENCE_FEATURES, FEATURE_NAMES

NEW = ("asked_value_new", "asked_value_none_new", "restates_without_value", "asked_value_with_terms") + \
    EVIDENCE_FEATURES
ALL_ASKED = FEATURE_NAMES + EVIDENCE_FEATURES
HARD_KINDS = ("unrelated", "altered_year", "altered_number", "altered_entity")

TOPIC = ("answerable_same_article",)
REMOVED = ("answer_removed",)
NEW_ONLY = tuple(n for n in FEATURE_NAMES if n not in NEW)

# name: (features left out, kinds of case fitted on besides the plain answerable ones)
VARIANTS = {
    "old features, old cases": (ALL_ASKED, HARD_KINDS),
    "old features + answer removed": (ALL_ASKED, HARD_KINDS + REMOVED),
    "old features + same topic": (ALL_ASKED, HARD_KINDS + TOPIC),
    "asked-value features, old cases": ((), HARD_KINDS),
    "asked-value features + answer removed": ((), HARD_KINDS + REMOVED),
    "asked-value features + same topic": ((), HARD_KINDS + TOPIC),
    "asked-value features + same topic + answer removed": ((), HARD_KINDS + TOPIC + REMOVED),
    "new features only, old cases": (NEW_ONLY, HARD_KINDS),
    "new features only + same topic + answer removed": (NEW_ONLY, HARD_KINDS + TOPIC + REMOVED),
}


def _drop(x: np.ndarray, left_out) -> np.ndarray:
    x = x.copy()
    for name in left_out:
        x[:, FEATURES.index(name)] = 0.0
    return x


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    if not len(pos) or not len(neg):
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def out_of_fold(rows: Rows, left_out, kinds, folds: int = 5, l2: float = 1.0):
    x = _drop(rows.x, left_out)
    view = Rows(x, rows.y, rows.case_index, rows.group, rows.answerable, rows.kind, rows.figure, rows.position)
    fold_of_row = (rows.group % folds)[rows.case_index]
    fitted_on = np.isin(rows.kind, ("answerable",) + tuple(kinds))[rows.case_index]
    parts = []
    for k in range(folds):
        fitted = fit_models(view, (fold_of_row != k) & fitted_on, l2)
        parts.append(case_outcomes(fitted, view, fold_of_row == k))
    oof = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    return oof, view


def summary(oof: dict, keep: float) -> dict:
    t = choose_threshold(oof, keep)
    row = curve_rows(oof, [t])[0]
    pos = oof["score"][oof["answerable"]]
    out = {"threshold": t, "answered": row["answered"], "refused": row["negative_rejection"]}
    for kind in sorted(set(oof["kind"][oof["answerable"]])):
        out[f"first right {kind}"] = float(oof["first_right"][oof["kind"] == kind].mean())
    for kind in sorted(set(oof["kind"][~oof["answerable"]])):
        out[f"refused {kind}"] = row.get(f"rejection_{kind}", float("nan"))
        out[f"AUC {kind}"] = _auc(pos, oof["score"][oof["kind"] == kind])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows")
    parser.add_argument("--keep", type=float, default=0.95)
    parser.add_argument("--curve", default=None)
    parser.add_argument("--write", nargs=2, metavar=("NAME", "PATH"), default=None,
                        help="Refit variant NAME on every row and write its gate, ranker and operating point into "
                             "a copy of the packaged weights (prefilter, cross-script and language models kept)")
    args = parser.parse_args()
    rows = Rows.load(args.rows)
    kinds = {str(k): int((rows.kind == k).sum()) for k in sorted(set(rows.kind))}
    print(f"cases: {kinds}; sentences {len(rows.y)}")
    results = {}
    present = set(kinds)
    for name, (left_out, fitted_kinds) in VARIANTS.items():
        if not set(fitted_kinds) <= present:
            continue
        oof, _ = out_of_fold(rows, left_out, fitted_kinds)
        results[name] = summary(oof, args.keep)
        if name == args.curve:
            print(f"\nout-of-fold curve, {name}:")
            print("| threshold | answered | first sentence right | refused | " + " | ".join(
                k for k in sorted(set(oof['kind'][~oof['answerable']]))) + " |")
            for r in curve_rows(oof, [0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]):
                print(f"| {r['threshold']:.2f} | {r['answered']:.3f} | {r['first_sentence_right']:.3f} | "
                      f"{r['negative_rejection']:.3f} | " + " | ".join(
                          f"{r[k]:.3f}" for k in sorted(r) if k.startswith("rejection_")) + " |")
    columns = list(next(iter(results.values())))
    print("\n| variant | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for name, r in results.items():
        print(f"| {name} | " + " | ".join(f"{r[c]:.3f}" for c in columns) + " |")
    if args.write:
        name, path = args.write
        left_out, fitted_kinds = VARIANTS[name]
        oof, view = out_of_fold(rows, left_out, fitted_kinds)
        fitted_on = np.isin(rows.kind, ("answerable",) + tuple(fitted_kinds))[rows.case_index]
        fitted = fit_models(view, fitted_on)
        base = SelectorWeights.load()
        gate = fitted.gate
        gate.threshold = choose_threshold(oof, args.keep)
        gate.prefilter, gate.cross_script, gate.cross_script_offset = base.prefilter, base.cross_script, \
            base.cross_script_offset
        gate.language_prefilter, gate.ranker = base.language_prefilter, fitted.ranker
        gate.meta = {"fitted_on": "../shared/train: DRCD dev+test (OpenCC t2s), CMRC 2018 trial",
                     "variant": name, "features_left_out": list(left_out),
                     "unanswerable_kinds_fitted_on": list(fitted_kinds), "cases": kinds,
                     "sentences": int(fitted_on.sum()), "keep_answered": args.keep,
                     "operating_point_chosen_on": "out-of-fold scores, 5 folds",
                     "held_out_curve": curve_rows(oof, [0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6]),
                     "summary": results[name]}
        with open(path, "w", encoding="utf-8") as f:
            f.write(gate.to_json() + "\n")
        print(f"written: {path} (operating point {gate.threshold:.4f})")


if __name__ == "__main__":
    main()
