"""The `evidence` second stage: the learned stage's bounded form over the fused score and answer-evidence features only.

The learned stage (learned_reranker.py) weighs the first stage's own scores and ranks and the question's word overlap
with each passage; fitted on reading-comprehension questions written from their paragraph, it trusts BM25 and word
overlap more than news corpora bear (on RGB the distractors repeat the question's words: docs/benchmarks.md, issue #16
fifth round). This stage keeps the fused score as the one first-stage input and adds only what tells whether a
passage holds the answer: a value of the asked kind (amount, rate, date, duration, count, phone) in a sentence near the
question's words (`near_kind`), and the question's year / quantity / title contradicted or missing (`EVIDENCE_FEATURES`
in evaluation/second_stage_fit.py; weights in data/second_stage_evidence.json, `zhiku eval fit-second-stage --features
evidence --multi-part 400 --paired-se`, training data only: the fit also sees made-up two-part questions, whose right
passages match half the question, and its bound may not lose to the hybrid on them).
"""
from __future__ import annotations

from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.retrieval.learned_reranker import EVIDENCE_WEIGHTS_FILE, LearnedReranker, SecondStageWeights
from zhiku.retrieval.passage_view import PassageCache


class EvidenceReranker(LearnedReranker):
    name = "evidence"

    def __init__(self, tokenizer: SparseEncoder, weights: SecondStageWeights | None = None,
                 cache: PassageCache | None = None):
        super().__init__(tokenizer, weights or SecondStageWeights.load(EVIDENCE_WEIGHTS_FILE), cache)
