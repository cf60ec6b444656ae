"""A confidence gate over a pairwise model: the fused order, changed only where the model is sure (gated_reranker.py)."""
from __future__ import annotations

import numpy as np


def gated_order(fused: np.ndarray, linear: np.ndarray, margin: float) -> list[int]:
    """Indices of the candidates in the gated order: the fused order (ties by position), where a candidate passes
    the ones before it only while its linear score beats theirs by at least `margin`."""
    fused_order = sorted(range(len(fused)), key=lambda i: (-float(fused[i]), i))
    out: list[int] = []
    for i in fused_order:
        position = len(out)
        while position > 0 and linear[i] - linear[out[position - 1]] >= margin:
            position -= 1
        out.insert(position, i)
    return out


def gated_scores(fused: np.ndarray, linear: np.ndarray, margin: float) -> np.ndarray:
    """The fused scores handed out in the gated order: the first place keeps the best fused score, and so on, so a
    score stays on the fused scale and sorting by it gives the gated order."""
    order = gated_order(fused, linear, margin)
    values = np.sort(np.asarray(fused, dtype=float))[::-1]
    out = np.empty(len(order))
    for position, i in enumerate(order):
        out[i] = values[position]
    # Equal fused scores would tie after the hand-out: a tiny decreasing term keeps the gated order under sorting.
    out[order] -= np.arange(len(order)) * 1e-12
    return out
