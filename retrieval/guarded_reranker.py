"""The `guarded` second stage: the learned stage's bounded form, fitted with distractors that repeat the question's
words, with the hybrid's first hit guarded.

Every earlier stage lost MRR@10 to the hybrid on RGB-like news, where a passage repeating the question's words
without its answer (another year's report, an item on the same subject) is moved above a right first hit; the
training data (DRCD, CMRC: a question written from its paragraph) holds no such passage, so no fit learned to
distrust it (docs/benchmarks.md, issue #16, rounds five and six). This stage's weights
(data/second_stage_guarded.json, `zhiku eval fit-second-stage --features evidence --multi-part 400 --distractors
--first-hit-margins 0,1,2,4,inf --guard-depths 1,3,5,10,inf --paired-se`, training data only) are fitted with made-up
ones — the answer passage with the question's year, number or name changed, and other paragraphs of its article that
repeat the question's rare terms, each placed right after the answer passage with its first-stage scores — and a
candidate may pass one of the hybrid's first hits only by the margin learned there (first_hit_guard.py). Since the
eighth round every hit is guarded, not the first alone (`guard_depth`, chosen on training folds with the margin),
after a right 4th hit was moved to 5th on the development set. Since session 28 the shipped file weighs the `dated`
features (`zhiku eval fit-second-stage --features dated`): the fused score, the question's year / quantity / title
contradicted or missing — a year counted only where it dates a passage (its lead sentence or a calendar date), so a
right passage naming background years is not "about another year" (question_constraints.dated_years) — and the asked
kind near the question's words. On every development set in full its MRR@10 and nDCG@10 are at or above the
hybrid's (docs/benchmarks.md, issue #16, sessions 28 and 29, which also say which figures chose it). It is the offline
default since session 29 (core/settings.py), once the answer selector read a table row written as text under its
header (retrieval/text_table.py): the demo's "2025年江南恒泰的营业收入是多少？" is answered from the audit summary's
row, the one hit that states it among the eight this stage keeps.
"""
from __future__ import annotations

from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.retrieval.learned_reranker import GUARDED_WEIGHTS_FILE, LearnedReranker, SecondStageWeights
from zhiku.retrieval.passage_view import PassageCache


class GuardedReranker(LearnedReranker):
    name = "guarded"

    def __init__(self, tokenizer: SparseEncoder, weights: SecondStageWeights | None = None,
                 cache: PassageCache | None = None):
        super().__init__(tokenizer, weights or SecondStageWeights.load(GUARDED_WEIGHTS_FILE), cache)
