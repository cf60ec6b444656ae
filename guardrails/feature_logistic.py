"""A logistic regression over named features, kept as JSON `{"weights": {...}, "bias": b, "threshold": t}`: the
shape shared by the injection detector's fitted stages (the n-gram classifier and the structural reading), so
loading and scoring live in one place."""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path


class FeatureLogistic:
    def __init__(self, weights: dict[str, float], bias: float, threshold: float):
        self.weights = weights
        self.bias = bias
        self.threshold = threshold

    @classmethod
    def from_file(cls, path: Path):
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["weights"], data["bias"], data["threshold"])

    def probability_of(self, features: Iterable[str], divisor: float = 1.0) -> float:
        """sigmoid(bias + Σ weights of the features present / divisor); unknown features weigh nothing."""
        score = self.bias + sum(self.weights.get(name, 0.0) for name in features) / divisor
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))
