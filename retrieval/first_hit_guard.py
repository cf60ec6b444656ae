"""The first-hit safeguard of a bounded second stage: the hybrid's first hit keeps its place unless the model prefers
another candidate to it by a margin learned on training data.

Every bounded stage measured on the development sets (docs/benchmarks.md, issue #16, rounds three to six) lost
MRR@10 to the hybrid by moving a news passage that repeats the question's words above a right first hit; the model's
preference there was weak (a pairwise lead of one to three logits), the damage whole (MRR 1 → 0.5). Below the first
hit a swap costs at most a fraction of a question's reciprocal rank; at the top it costs half of it or more. So a
candidate may pass the hybrid's first hit only when its linear score exceeds the first hit's by `margin` — the model
gives the swap at least σ(margin) — and otherwise sits right below the first hit, in the order the stage gave it.
The margin is chosen by cross-validation on training folds (`zhiku eval fit-second-stage --first-hit-margins`) with
made-up distractors that repeat the question's words (evaluation/second_stage_fit.py `question_rows`); infinity:
the first hit never moves.
"""
from __future__ import annotations

import numpy as np

# How far below the first hit a held-back candidate is placed: far smaller than any gap between fused scores that
# matters, so the held-back candidates keep their order among themselves and above every candidate they had passed.
_BELOW = 1e-9


def guard_first_hit(scores: np.ndarray, linear: np.ndarray, margin: float) -> np.ndarray:
    """`scores`: the stage's scores of one query's candidates in fused order (row 0 is the hybrid's first hit);
    `linear`: the model's pairwise scores of the same rows. Candidates that the stage puts above row 0 without a
    linear lead of `margin` over it are placed just below row 0, keeping their order."""
    if len(scores) < 2:
        return scores
    out = np.asarray(scores, dtype=float).copy()
    first = out[0]
    held = [i for i in range(1, len(out)) if out[i] > first and not linear[i] - linear[0] >= margin]
    if not held:
        return out
    # Keep their order: the highest-scored held-back candidate goes nearest below the first hit.
    for place, i in enumerate(sorted(held, key=lambda i: -out[i]), start=1):
        out[i] = first - _BELOW * place / (len(held) + 1)
    return out
