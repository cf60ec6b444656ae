"""The confidence-gated second stage: the learned pairwise model may reorder the fused ranking only where it is
sure.

The learned stage (learned_reranker.py) is a pairwise logistic model: for two candidates a and b of one query it
says P(a before b) = σ(s_a − s_b), s being its linear score. Used as a sort key (or as a bounded adjustment of the
fused score) every preference acts, however weak: on news passages whose fused scores lie close together
(rgb_zh) weak preferences swapped close candidates and lowered MRR@10 against the plain hybrid.

Here the fused order stands unless the model disagrees with it strongly: a candidate moves above the one before it
only when s_candidate − s_before ≥ `margin`, i.e. when the model gives at least σ(margin) to the swap (margin 2.2
≈ 90 %), and it keeps moving up while that holds, stopping at the first candidate it does not clearly beat. A
margin of infinity is the hybrid order; a margin of 0 is the model's own order. The margin (and the L2 penalty) are
chosen by cross-validation on training folds only (`zhiku eval fit-second-stage --form gated`): the largest
margin, i.e. the fewest reorderings, whose held-out MRR@10 is within one standard error of the best and that loses
to the hybrid on no training set. Questions in a script the weights were not fitted on (English: the training data
is Chinese) keep the hybrid order.

The scores returned are the fused scores, handed out in the gated order (the best position keeps the best fused
score), so a hit's score stays on the fused scale and sorting by it gives the gated order.
"""
from __future__ import annotations

from pathlib import Path

from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.retrieval.learned_reranker import FEATURES, LearnedReranker, SecondStageWeights
from zhiku.retrieval.passage_view import PassageCache
from zhiku.retrieval.reranker import RerankCandidate
from zhiku.retrieval.script import majority_script

GATED_WEIGHTS_FILE = Path(__file__).with_name("data") / "second_stage_gated.json"


class GatedReranker(LearnedReranker):
    name = "gated"

    def __init__(self, tokenizer: SparseEncoder, weights: SecondStageWeights | None = None,
                 cache: PassageCache | None = None):
        super().__init__(tokenizer, weights or SecondStageWeights.load(GATED_WEIGHTS_FILE), cache)
        if self.weights.margin is None:
            raise ValueError("the gated second stage needs weights with a 'margin'")

    def score(self, query: str, candidates: list[RerankCandidate]) -> list[float]:
        if not candidates:
            return []
        if self.weights.scripts and majority_script(query) not in self.weights.scripts:
            return [c.fused for c in candidates]  # not the kind of question the weights were fitted on
        x = self.feature_matrix(query, candidates)
        return [float(v) for v in self.weights.scores(x[:, [FEATURES.index(f) for f in self.weights.features]])]
