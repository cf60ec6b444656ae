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


def guard_top_hits(scores: np.ndarray, linear: np.ndarray, margin: float, depth: float) -> np.ndarray:
    """The safeguard at every one of the hybrid's first `depth` hits (infinity: every candidate), not the first hit
    alone: a candidate may pass the hybrid's hit at rank r (r < depth) only with a linear lead of `margin` over that
    hit; otherwise it is placed just below it, keeping the stage's order. Why more than the first hit: a bounded stage
    that keeps the first hit can still move a passage that repeats the question's words past a right passage lower
    down (issue #16, seventh round: a right 4th hit moved to 5th), which the first-hit guard does not see; the depth
    is chosen on training folds like the margin (`zhiku eval fit-second-stage --guard-depths`). Depth 1 is
    `guard_first_hit`'s order."""
    n = len(scores)
    if n < 2:
        return scores
    stage = np.asarray(scores, dtype=float)
    # The stage's order (ties keep the fused order), then each guarded hit in fused order pulls the candidates that
    # passed it without the lead back to just below it. Moving a candidate down never makes it pass another hit, so
    # a hit handled earlier stays guarded.
    order = sorted(range(n), key=lambda i: (-stage[i], i))
    for hit in range(min(n, int(depth) if not np.isinf(depth) else n)):
        at = order.index(hit)
        held = [i for i in order[:at] if i > hit and not linear[i] - linear[hit] >= margin]
        if held:
            kept = [i for i in order[:at + 1] if i not in held]
            order = kept + held + order[at + 1:]
    if order == sorted(range(n), key=lambda i: (-stage[i], i)):
        return stage
    # Scores in the guarded order: the stage's own where they already fall in it, else just below the one before.
    out = np.empty(n)
    previous = np.inf
    for i in order:
        value = min(stage[i], previous - _BELOW)
        out[i] = value
        previous = value
    return out
