"""Adam (β1 0.9, β2 0.999, full batch) over one weight vector and a bias: the optimiser the guardrails' small
logistic fits share, kept in one place so their fits stay bit-identical to each other's arithmetic."""
from __future__ import annotations

import numpy as np


class Adam:
    def __init__(self, size: int, rate: float):
        self.rate = rate
        self.m_w, self.v_w = np.zeros(size), np.zeros(size)
        self.m_b = self.v_b = 0.0
        self.steps = 0

    def update(self, w: np.ndarray, b: float, grad_w: np.ndarray, grad_b: float) -> tuple[np.ndarray, float]:
        """One step: the new (w, b)."""
        self.steps += 1
        self.m_w = 0.9 * self.m_w + 0.1 * grad_w
        self.v_w = 0.999 * self.v_w + 0.001 * grad_w ** 2
        self.m_b = 0.9 * self.m_b + 0.1 * grad_b
        self.v_b = 0.999 * self.v_b + 0.001 * grad_b ** 2
        correction = np.sqrt(1 - 0.999 ** self.steps) / (1 - 0.9 ** self.steps)
        w = w - self.rate * correction * self.m_w / (np.sqrt(self.v_w) + 1e-8)
        b = b - self.rate * correction * self.m_b / (np.sqrt(self.v_b) + 1e-8)
        return w, b
