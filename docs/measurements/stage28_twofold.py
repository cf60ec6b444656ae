"""Issue #16 point 4, session 28: the whole choice of a second stage's settings (L2, bound, first-hit margin, guard
depth: `choose_form`, five-fold CV by paragraph) made on one half of the training questions (halves by paragraph) and
measured on the other half, both ways, from a `zhiku eval fit-second-stage --rows-cache` file. Usage:

    python stage28_twofold.py <rows cache> <feature set: evidence | dated | ...> [--without-background]

`--without-background`: the rows of the background-years questions left out (the shipped `guarded` fit's rows).
"""
from __future__ import annotations

import json
import pickle
import sys

import numpy as np

from zhiku.evaluation.second_stage_fit import (FEATURE_SETS, choose_form, fit_pairwise, paragraph_folds,
                                               per_question)


def main(cache: str, features: str, without_background: bool = False) -> None:
    from pathlib import Path

    from zhiku.evaluation.answer_selector_fit import load_training_sets
    from zhiku.evaluation.second_stage_fit import training_dataset

    rows, *_ = pickle.loads(open(cache, "rb").read())
    if without_background:
        rows = [r for r in rows if not getattr(r, "background", False)]
    # The qrels as the fit made them (the cache keeps rows only): the shipped command's sets and sizes.
    sets = [s for s in load_training_sets(Path("/work/shared/train")) if s.name in ("drcd_dev", "cmrc2018_trial")]
    qrels = training_dataset(sets, 3000, paragraphs=300, multi_part=400)[0].qrels
    half = paragraph_folds(rows, qrels, 2)
    names = FEATURE_SETS[features]
    out = {}
    for side in (0, 1):
        fit_rows = [r for r, h in zip(rows, half) if h == side]
        test = [r for r, h in zip(rows, half) if h != side]
        form = choose_form(fit_rows, qrels, features=names, paired=True, first_hit_margins=(None, 0.0, 1.0, 2.0, 4.0,
                           float("inf")), guard_depths=(1.0, 3.0, 5.0, 10.0, float("inf")))
        pick = form["chosen"] or {"l2": 10.0, "bound": 0.0}
        w = fit_pairwise(fit_rows, pick["l2"], features=names)
        w.bound = None if pick["bound"] == float("inf") else pick["bound"]
        w.first_hit_margin = pick.get("first_hit_margin")
        if w.first_hit_margin is not None and pick.get("guard_depth", 1) != 1:
            w.guard_depth = pick["guard_depth"]
        mrr, ndcg = per_question(test, qrels, w)
        h_mrr, h_ndcg = per_question(test, qrels, None)
        subsets = {"all": range(len(test))}
        for flag in ("distractors", "multi_part", "near_duplicate", "background"):
            subsets[flag] = [i for i, r in enumerate(test) if getattr(r, flag, False)]
        out[f"fit on half {side}, measured on half {1 - side}"] = {
            "chosen": {k: pick.get(k) for k in ("l2", "bound", "first_hit_margin", "guard_depth")},
            **{name: {"questions": len(idx), "stage": [round(float(mrr[list(idx)].mean()), 4),
                                                       round(float(ndcg[list(idx)].mean()), 4)],
                      "hybrid": [round(float(h_mrr[list(idx)].mean()), 4), round(float(h_ndcg[list(idx)].mean()), 4)],
                      "mrr_up": int((mrr[list(idx)] > h_mrr[list(idx)] + 1e-12).sum()),
                      "mrr_down": int((mrr[list(idx)] < h_mrr[list(idx)] - 1e-12).sum())}
               for name, idx in subsets.items() if len(idx)}}
    print(json.dumps(out, indent=1, default=lambda v: "inf" if v == float("inf") else v))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--without-background" in sys.argv[3:])
