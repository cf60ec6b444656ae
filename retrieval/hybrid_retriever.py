"""Two-stage retrieval: dense + sparse candidates → fusion → second stage → top-k with citations."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from index.embedder import Embedder
from index.sparse_encoder import SparseEncoder
from index.vector_store import ChunkFilter, ScoredChunk, VectorStore
from retrieval.fusion import fuse
from retrieval.reranker import RerankCandidate, Reranker
from retrieval.script import lexically_comparable, majority_script
from retrieval.search_hit import Citation, SearchHit, StageScores


class RetrievalMode(str, Enum):
    SPARSE = "sparse"
    DENSE = "dense"
    HYBRID = "hybrid"
    HYBRID_RERANK = "hybrid+rerank"


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    candidates_per_retriever: int = 50
    fusion: str = "weighted-score"
    dense_weight: float = 0.6
    rrf_k: int = 60
    rerank_top_n: int = 30


@dataclass(slots=True)
class Candidates:
    dense: list[ScoredChunk]
    sparse: list[ScoredChunk]


class HybridRetriever:
    def __init__(self, store: VectorStore, embedder: Embedder, sparse: SparseEncoder,
                 reranker: Reranker | None, config: RetrievalConfig | None = None):
        self.store = store
        self.embedder = embedder
        self.sparse = sparse
        self.reranker = reranker
        self.config = config or RetrievalConfig()

    def search(self, query: str, chunk_filter: ChunkFilter, top_k: int = 8,
               mode: RetrievalMode = RetrievalMode.HYBRID_RERANK) -> list[SearchHit]:
        query = query.strip()
        if not query:
            return []
        candidates = self.candidates(query, chunk_filter, max(self.config.candidates_per_retriever, top_k), mode)
        return self.rank(query, candidates, mode)[:top_k]

    def candidates(self, query: str, chunk_filter: ChunkFilter, n: int,
                   mode: RetrievalMode = RetrievalMode.HYBRID_RERANK) -> "Candidates":
        """First stage: the top n of each retriever the mode uses."""
        dense = sparse = []
        if mode is not RetrievalMode.SPARSE:
            dense = self.store.search_dense(self.embedder.embed_query(query), chunk_filter, n)
        if mode is not RetrievalMode.DENSE:
            sparse = self.store.search_sparse(self.sparse.encode_query(query), chunk_filter, n)
        return Candidates(dense, sparse)

    def rank(self, query: str, candidates: "Candidates", mode: RetrievalMode) -> list[SearchHit]:
        """Fusion and second stage over first-stage candidates (eval reuses one candidate set for every mode)."""
        dense, sparse = candidates.dense, candidates.sparse
        by_id = {r.point_id: r for r in (*dense, *sparse)}
        dense_scores = {r.point_id: r.score for r in dense}
        sparse_scores = {r.point_id: r.score for r in sparse}
        if mode is RetrievalMode.DENSE:
            fused = dict(dense_scores)
        elif mode is RetrievalMode.SPARSE:
            fused = dict(sparse_scores)
        else:
            query_script = majority_script(query)
            blind = {pid for pid, r in by_id.items()
                     if not lexically_comparable(query_script, r.payload.get("text", ""))}
            fused = fuse(self.config.fusion, dense, sparse, self.config.dense_weight, self.config.rrf_k, blind)
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)
        hits = [
            SearchHit(pid, by_id[pid].payload.get("text", ""), by_id[pid].payload.get("parent_text"),
                      fused[pid], StageScores(sparse_scores.get(pid), dense_scores.get(pid), fused[pid]),
                      Citation.from_payload(by_id[pid].payload), by_id[pid].payload)
            for pid in ranked
        ]
        if mode is RetrievalMode.HYBRID_RERANK and self.reranker is not None and hits:
            hits = self._rerank(query, hits)
        return hits

    def _rerank(self, query: str, hits: list[SearchHit]) -> list[SearchHit]:
        head, tail = hits[:self.config.rerank_top_n], hits[self.config.rerank_top_n:]
        scores = self.reranker.score(query, rerank_candidates(query, head))
        for hit, s in zip(head, scores):
            hit.scores.rerank = s
            hit.score = s
        head.sort(key=lambda h: h.score, reverse=True)
        return head + tail


def rerank_candidates(query: str, hits: list[SearchHit]) -> list[RerankCandidate]:
    query_script = majority_script(query)
    return [RerankCandidate(h.text, h.scores.fused or 0.0, h.scores.dense, h.scores.sparse,
                            lexically_comparable(query_script, h.text)) for h in hits]
