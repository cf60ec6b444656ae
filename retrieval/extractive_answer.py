"""The offline answer: the evidence sentences that best match the question, each with its citation.

No generation, so nothing can be invented; when no retrieved sentence shares enough of the
question's terms (passages about another year, quantity or title than the question names do not count),
the answer says the knowledge base does not contain it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from zhiku.index.embedder import Embedder
from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.core.sentences import sentence_spans
from zhiku.retrieval.question_constraints import question_constraints
from zhiku.retrieval.search_hit import SearchHit

log = logging.getLogger(__name__)

NOT_FOUND = "知识库中没有找到与该问题相关的内容。/ The knowledge base does not contain an answer to this question."


@dataclass(slots=True)
class AnswerSentence:
    text: str
    citation: int  # 1-based index into the answer's citations


@dataclass(slots=True)
class ExtractiveAnswer:
    answer: str
    sentences: list[AnswerSentence]
    hits: list[SearchHit]  # citation n is hits[n-1]
    found: bool


class ExtractiveAnswerer:
    """`embedder` (optional) ranks the sentences that share enough terms by meaning as well: with weight
    `dense_weight`, a sentence's similarity to the question (read after its section label; scaled 0..1 among
    those sentences) is mixed into its term overlap. Which sentences may answer at all is still decided by
    the terms."""

    def __init__(self, tokenizer: SparseEncoder, embedder: Embedder | None = None, dense_weight: float = 0.5,
                 max_sentences: int = 3, min_overlap: float = 0.34):
        self.tokenizer = tokenizer
        self.embedder = embedder
        self.dense_weight = dense_weight if embedder is not None else 0.0
        self.max_sentences = max_sentences
        self.min_overlap = min_overlap

    def answer(self, question: str, hits: list[SearchHit]) -> ExtractiveAnswer:
        query_terms = set(self.tokenizer.tokenize(question))
        constraints = question_constraints(question)
        eligible: list[tuple[float, int, int, str]] = []  # (term overlap, hit rank, order in the hit, sentence)
        placed: list[str] = []  # each eligible sentence after its section label, as it is compared in meaning
        for rank, hit in enumerate(hits):
            if constraints and not constraints.met_by(hit.about_text()):
                continue
            # What the section is about, from its file name and headings: "本产品评为R2（中低风险）" under
            # "稳盈180天理财产品说明书 > 二、风险等级" answers "稳盈180天理财产品的风险等级是什么". The label counts
            # toward the term overlap and is read with the sentence when meaning is compared.
            label = hit.section_label()
            about = query_terms & set(self.tokenizer.tokenize(label))
            label_line = " > ".join(part for part in label.split("\n") if part.strip())
            for order, (start, end) in enumerate(sentence_spans(hit.text)):
                sentence = hit.text[start:end]
                if sentence.endswith(("？", "?")):
                    continue  # a question (an FAQ's own, say) repeats the query but answers nothing
                own = query_terms & set(self.tokenizer.tokenize(sentence))
                overlap = len(own | about) / max(len(query_terms), 1)
                if own and overlap >= self.min_overlap:
                    eligible.append((overlap, rank, order, sentence))
                    placed.append(f"{label_line}: {sentence}" if label_line else sentence)
        meaning = self._similarities(question, placed)
        w = self.dense_weight
        # Earlier hits are better evidence; the rank discount only breaks near-ties.
        scored = [((1 - w) * overlap + w * meaning[i] - 0.02 * rank, rank, order, sentence)
                  for i, (overlap, rank, order, sentence) in enumerate(eligible)]
        chosen = sorted(sorted(scored, reverse=True)[:self.max_sentences], key=lambda s: (s[1], s[2]))
        if not chosen:
            return ExtractiveAnswer(NOT_FOUND, [], [], found=False)
        cited_ranks = sorted({rank for _, rank, _, _ in chosen})
        number = {rank: i + 1 for i, rank in enumerate(cited_ranks)}
        sentences = [AnswerSentence(text, number[rank]) for _, rank, _, text in chosen]
        answer = " ".join(f"{s.text}[{s.citation}]" for s in sentences)
        # A citation points at the sentences quoted from its passage (in a recording: their time range).
        quoted = {rank: [sentence_spans(hits[rank].text)[order] for _, r, order, _ in chosen if r == rank]
                  for rank in cited_ranks}
        citations = [hits[rank].narrowed_to(quoted[rank]) for rank in cited_ranks]
        return ExtractiveAnswer(answer, sentences, citations, found=True)

    def _similarities(self, question: str, sentences: list[str]) -> list[float]:
        """Each sentence's similarity to the question, min-max scaled among them (0 when there is no choice)."""
        if self.embedder is None or self.dense_weight <= 0 or len(sentences) < 2:
            return [0.0] * len(sentences)
        try:
            cosines = (np.asarray(self.embedder.embed_passages(sentences))
                       @ np.asarray(self.embedder.embed_query(question)))
        except Exception:  # an embedding endpoint that is down must not cost the answer: rank by terms
            log.warning("extractive answer: embedding the evidence sentences failed; ranking by terms only",
                        exc_info=True)
            return [0.0] * len(sentences)
        low, high = float(cosines.min()), float(cosines.max())
        if high - low < 1e-9:
            return [0.0] * len(sentences)
        return [(float(c) - low) / (high - low) for c in cosines]
