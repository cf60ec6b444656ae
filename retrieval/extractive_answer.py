"""The offline answer: the evidence sentences that best match the question, each with its citation.

No generation, so nothing can be invented; when no retrieved sentence shares enough of the
question's terms (passages about another year, quantity or title than the question names do not count),
the answer says the knowledge base does not contain it.
"""
from __future__ import annotations

from dataclasses import dataclass

from index.sparse_encoder import SparseEncoder
from ingest.sentences import sentence_spans
from retrieval.question_constraints import hit_context, question_constraints
from retrieval.search_hit import SearchHit

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
    def __init__(self, tokenizer: SparseEncoder, max_sentences: int = 3, min_overlap: float = 0.34):
        self.tokenizer = tokenizer
        self.max_sentences = max_sentences
        self.min_overlap = min_overlap

    def answer(self, question: str, hits: list[SearchHit]) -> ExtractiveAnswer:
        query_terms = set(self.tokenizer.tokenize(question))
        constraints = question_constraints(question)
        scored: list[tuple[float, int, int, str]] = []
        for rank, hit in enumerate(hits):
            if constraints and not constraints.met_by(hit_context(hit)):
                continue
            for order, (start, end) in enumerate(sentence_spans(hit.text)):
                sentence = hit.text[start:end]
                if sentence.endswith(("？", "?")):
                    continue  # a question (an FAQ's own, say) repeats the query but answers nothing
                terms = set(self.tokenizer.tokenize(sentence))
                overlap = len(query_terms & terms) / max(len(query_terms), 1)
                # Earlier hits are better evidence; the rank discount only breaks near-ties.
                scored.append((overlap - 0.02 * rank, rank, order, sentence))
        best = sorted((s for s in scored if s[0] + 0.02 * s[1] >= self.min_overlap), reverse=True)
        chosen = sorted(best[:self.max_sentences], key=lambda s: (s[1], s[2]))
        if not chosen:
            return ExtractiveAnswer(NOT_FOUND, [], [], found=False)
        cited_ranks = sorted({rank for _, rank, _, _ in chosen})
        number = {rank: i + 1 for i, rank in enumerate(cited_ranks)}
        sentences = [AnswerSentence(text, number[rank]) for _, rank, _, text in chosen]
        answer = " ".join(f"{s.text}[{s.citation}]" for s in sentences)
        return ExtractiveAnswer(answer, sentences, [hits[r] for r in cited_ranks], found=True)
