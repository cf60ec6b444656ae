"""A one-hidden-layer network over the whole-text stage's features (guardrails/text_detector.py): the stronger but
CPU-cheap form that session 27 tried against the logistic regression, chosen or not by leave-one-set-out
(guardrails/text_training.py `--models mlp`).

Why one might help: the logistic adds the whole-text vector, the addressed-sentence max-pool and the structural
probability; an attack that only reads as one when a sentence speaks to a reader *and* the text around it is
ordinary (a planted line) is an interaction of those, which a sum cannot weigh. Small on purpose (16 tanh units,
L2, full-batch Adam, inputs standardised): the labelled sets are a few thousand texts by six annotators.
"""
from __future__ import annotations

import numpy as np

from zhiku.guardrails.adam import Adam


class Mlp:
    """score = w2 · tanh(W1 · standardised(x) + b1) + b2; `probabilities` as embedding_training's."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray,
                 b2: float):
        self.mean, self.scale, self.w1, self.b1, self.w2, self.b2 = mean, scale, w1, b1, w2, b2

    def scores(self, x: np.ndarray) -> np.ndarray:
        hidden = np.tanh(((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.w1 + self.b1)
        return hidden @ self.w2 + self.b2

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.scores(x), -30, 30)))

    def folded(self) -> tuple[np.ndarray, np.ndarray]:
        """The first layer over raw rows (the standardisation folded in), as text_detector.TextStage reads it."""
        w1 = self.w1 / self.scale[:, None]
        return w1, self.b1 - self.mean @ w1


def fit_mlp(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float, hidden: int = 16, steps: int = 400,
            rate: float = 0.01, seed: int = 27) -> Mlp:
    """Weighted cross-entropy with L2 on both layers' weights, full-batch Adam over one flat parameter vector."""
    x = np.asarray(x, dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    n, d = z.shape
    rng = np.random.default_rng(seed)
    shapes = [(d, hidden), (hidden,), (hidden,), ()]
    sizes = [int(np.prod(s)) for s in shapes]
    theta = np.concatenate([rng.normal(0, 1 / np.sqrt(d), d * hidden), np.zeros(hidden),
                            rng.normal(0, 1 / np.sqrt(hidden), hidden), np.zeros(1)])
    adam = Adam(len(theta), rate)
    total = weight.sum()

    def unpack(t: np.ndarray):
        parts, start = [], 0
        for shape, size in zip(shapes, sizes):
            parts.append(t[start:start + size].reshape(shape) if shape else t[start])
            start += size
        return parts

    for _ in range(steps):
        w1, b1, w2, b2 = unpack(theta)
        h = np.tanh(z @ w1 + b1)
        p = 1.0 / (1.0 + np.exp(-np.clip(h @ w2 + b2, -30, 30)))
        error = weight * (p - y) / total
        grad_w2 = h.T @ error + l2 * w2
        grad_b2 = error.sum()
        back = np.outer(error, w2) * (1 - h ** 2)
        grad_w1 = z.T @ back + l2 * w1
        grad_b1 = back.sum(axis=0)
        grad = np.concatenate([grad_w1.ravel(), grad_b1, grad_w2, [grad_b2]])
        # Adam's update takes (w, b); the flat vector is all "w" here, its bias slot unused
        theta, _ = adam.update(theta, 0.0, grad, 0.0)
    w1, b1, w2, b2 = unpack(theta)
    return Mlp(mean, scale, w1, b1, w2, float(b2))
