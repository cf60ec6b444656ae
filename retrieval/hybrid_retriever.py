"""Two-stage retrieval: dense + sparse candidates → fusion → second stage → graph expansion → top-k with citations."""
from __future__ import annotations

import contextvars
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from enum import Enum

from zhiku.index.embedder import Embedder
from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.index.vector_store import ChunkFilter, ScoredChunk, VectorStore
from zhiku.retrieval.fusion import fuse
from zhiku.retrieval.graph_expansion import GraphEvidence, GraphExpander, order_graph_chunks
from zhiku.retrieval.graph_gate import ShownHits, about_its_evidence, adds_evidence, unconnected
from zhiku.retrieval.reranker import RerankCandidate, Reranker
from zhiku.retrieval.script import lexically_comparable, majority_script
from zhiku.retrieval.search_hit import SearchHit, StageScores
from zhiku.retrieval.term_normaliser import default_normaliser


def _with_translations(query: str) -> str:
    """The query for the lexical retriever: with the bank synonym list's other-language terms for those it holds
    (a Chinese question finds the English policy's "password … locked" lines, and the reverse); BM25 is blind
    across scripts otherwise and only the dense model, weak across languages, could find them."""
    extra = default_normaliser().translations(query)
    return f"{query}\n{' '.join(extra)}" if extra else query


class RetrievalMode(str, Enum):
    SPARSE = "sparse"
    DENSE = "dense"
    HYBRID = "hybrid"
    HYBRID_RERANK = "hybrid+rerank"
    GRAPH = "hybrid+rerank+graph"  # the second stage's ranking, with chunks found through the knowledge graph


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    candidates_per_retriever: int = 50
    fusion: str = "weighted-score"
    dense_weight: float = 0.6
    rrf_k: int = 60
    rerank_top_n: int = 30
    # Per language of the query (its majority script: CJK → zh, Latin letters → en); None: dense_weight.
    dense_weight_zh: float | None = None
    dense_weight_en: float | None = None

    def dense_weight_for(self, query_script: str) -> float:
        chosen = {"cjk": self.dense_weight_zh, "latin": self.dense_weight_en}.get(query_script)
        return self.dense_weight if chosen is None else chosen


@dataclass(slots=True)
class Candidates:
    dense: list[ScoredChunk]
    sparse: list[ScoredChunk]
    graph: list[ScoredChunk] = field(default_factory=list)  # graph chunks, scored by the dense model
    graph_evidence: GraphEvidence | None = None


@dataclass(slots=True)
class Retrieval:
    hits: list[SearchHit]
    graph: GraphEvidence | None  # the entities, relations and paths expansion used, when it ran


log = logging.getLogger(__name__)
_GRAPH_POOL: ThreadPoolExecutor | None = None


def _graph_pool() -> ThreadPoolExecutor:
    global _GRAPH_POOL
    if _GRAPH_POOL is None:
        _GRAPH_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="zhiku-graph")
    return _GRAPH_POOL


def _within(pending, seconds: float | None, deadline: float | None = None) -> GraphEvidence | None:
    """The graph's evidence, or None (the search goes on as hybrid + second stage) when the graph server has not
    answered within `seconds` (counted from `deadline - seconds`: a caller that did other work first waits only for
    what is left, at least for an answer already there): a slow or unreachable graph bounds a search's time instead
    of setting it. The expansion left behind ends with its query (its thread is the pool's; nothing waits for it)."""
    wait = seconds if seconds is None or deadline is None else max(0.0, deadline - time.monotonic())
    try:
        return pending.result(timeout=wait)
    except FutureTimeout:
        pending.cancel()
        log.warning("graph expansion took longer than %.0f ms: this search goes on without it", seconds * 1000)
        return None


class HybridRetriever:
    def __init__(self, store: VectorStore, embedder: Embedder, sparse: SparseEncoder,
                 reranker: Reranker | None, config: RetrievalConfig | None = None,
                 graph: GraphExpander | None = None):
        self.store = store
        self.embedder = embedder
        self.sparse = sparse
        self.reranker = reranker
        self.config = config or RetrievalConfig()
        self.graph = graph

    def search(self, query: str, chunk_filter: ChunkFilter, top_k: int = 8,
               mode: RetrievalMode = RetrievalMode.HYBRID_RERANK) -> list[SearchHit]:
        return self.retrieve(query, chunk_filter, top_k, mode).hits

    def retrieve(self, query: str, chunk_filter: ChunkFilter, top_k: int = 8,
                 mode: RetrievalMode = RetrievalMode.HYBRID_RERANK) -> Retrieval:
        query = query.strip()
        if not query:
            return Retrieval([], None)
        n = max(self.config.candidates_per_retriever, top_k)
        if self._uses_graph(mode, chunk_filter):
            return self._retrieve_with_graph(query, chunk_filter, n, top_k)
        candidates = self.candidates(query, chunk_filter, n, mode)
        return Retrieval(self.rank(query, candidates, mode, top_k)[:top_k], candidates.graph_evidence)

    def _uses_graph(self, mode: RetrievalMode, chunk_filter: ChunkFilter) -> bool:
        return mode is RetrievalMode.GRAPH and self.graph is not None and bool(chunk_filter.kb_ids)

    def _retrieve_with_graph(self, query: str, chunk_filter: ChunkFilter, n: int, top_k: int) -> Retrieval:
        """Graph mode as `candidates` then `rank` (the same hits), with the hybrid ranking — fusion and the second
        stage, which need only the first stage — computed while the graph's linking and expansion are still waiting
        on the graph server, instead of after them: a search waits for max(graph, first + second stage), not their
        sum. The graph's chunks enter the finished ranking after (`_insert_graph_hits`)."""
        pending = self._start_graph(query, chunk_filter)
        try:
            dense, sparse, query_vector = self._first_stage(query, chunk_filter, n, RetrievalMode.GRAPH)
            deadline = self._graph_deadline()
            hits = self._hybrid_ranking(query, dense, sparse, RetrievalMode.GRAPH)
        except BaseException:
            pending.cancel()
            raise
        evidence = _within(pending, self.graph.config.timeout_seconds, deadline)
        graph = self._graph_chunks(evidence, chunk_filter, query_vector)
        if graph and evidence is not None:
            hits = self._insert_graph_hits(hits, graph, evidence, top_k, query)
        return Retrieval(hits[:top_k], evidence)

    def candidates(self, query: str, chunk_filter: ChunkFilter, n: int,
                   mode: RetrievalMode = RetrievalMode.HYBRID_RERANK) -> "Candidates":
        """First stage: the top n of each retriever the mode uses (graph expansion in GRAPH mode)."""
        evidence = None
        pending = self._start_graph(query, chunk_filter) if self._uses_graph(mode, chunk_filter) else None
        try:
            dense, sparse, query_vector = self._first_stage(query, chunk_filter, n, mode)
        except BaseException:
            if pending is not None:
                pending.cancel()
            raise
        if pending is not None:
            evidence = _within(pending, self.graph.config.timeout_seconds)
        return Candidates(dense, sparse, self._graph_chunks(evidence, chunk_filter, query_vector), evidence)

    def _start_graph(self, query: str, chunk_filter: ChunkFilter):
        """Graph linking and expansion wait on the graph server's round trips: they run beside the embedding and the
        two searches (in the request's context, so its cancellation reaches them), not after them."""
        return _graph_pool().submit(contextvars.copy_context().run, self.graph.evidence, query,
                                    chunk_filter.kb_ids, chunk_filter.readable_document_ids)

    def _graph_deadline(self) -> float | None:
        seconds = self.graph.config.timeout_seconds
        return None if seconds is None else time.monotonic() + seconds

    def _first_stage(self, query: str, chunk_filter: ChunkFilter, n: int, mode: RetrievalMode):
        """(dense, sparse, query vector): the top n of each retriever the mode uses."""
        dense = sparse = []
        query_vector = None
        if mode is not RetrievalMode.SPARSE:
            query_vector = self.embedder.embed_query(query)
            dense = self.store.search_dense(query_vector, chunk_filter, n)
        if mode is not RetrievalMode.DENSE:
            sparse = self.store.search_sparse(self.sparse.encode_query(_with_translations(query)), chunk_filter, n)
        return dense, sparse, query_vector

    def _graph_chunks(self, evidence: GraphEvidence | None, chunk_filter: ChunkFilter,
                      query_vector) -> list[ScoredChunk]:
        """The graph's best chunks, scored by the dense model under the search's own filter (knowledge bases,
        documents, access apply to what the graph brings too)."""
        if evidence is None:
            return []
        ids = evidence.best_chunks(self.graph.config.chunk_limit)
        if not ids:
            return []
        return self.store.search_dense(query_vector, replace(chunk_filter, point_ids=ids), len(ids))

    def rank(self, query: str, candidates: "Candidates", mode: RetrievalMode,
             top_k: int | None = None) -> list[SearchHit]:
        """Fusion and second stage over first-stage candidates (eval reuses one candidate set for every mode).

        `top_k`: how many results the caller shows; graph chunks are placed so that some of them fit."""
        hits = self._hybrid_ranking(query, candidates.dense, candidates.sparse, mode)
        if mode is RetrievalMode.GRAPH and candidates.graph and candidates.graph_evidence is not None:
            hits = self._insert_graph_hits(hits, candidates.graph, candidates.graph_evidence, top_k, query)
        return hits

    def _hybrid_ranking(self, query: str, dense: list[ScoredChunk], sparse: list[ScoredChunk],
                        mode: RetrievalMode) -> list[SearchHit]:
        """Fusion of the first stage's lists, then the second stage (modes that have one): everything but the
        graph's chunks."""
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
            # matched by the query's translated terms: judged lexically after all
            translated = blind & set(sparse_scores) if default_normaliser().translations(query) else set()
            fused = fuse(self.config.fusion, dense, sparse, self.config.dense_weight_for(query_script),
                         self.config.rrf_k, blind - translated, translated)
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)
        hits = [
            SearchHit.from_point(pid, by_id[pid].payload, fused[pid],
                                 StageScores(sparse_scores.get(pid), dense_scores.get(pid), fused[pid]))
            for pid in ranked
        ]
        if mode in (RetrievalMode.HYBRID_RERANK, RetrievalMode.GRAPH) and self.reranker is not None and hits:
            hits = self._rerank(query, hits)
        return hits

    def _insert_graph_hits(self, hits: list[SearchHit], graph: list[ScoredChunk],
                           evidence: GraphEvidence, top_k: int | None, query: str = "") -> list[SearchHit]:
        """Keep the hybrid ranking's head; the best graph chunks not already in the top ranks come next.

        The head and the slots are the configured ones for a ranking of ten (as evaluated); a shorter list
        keeps its first half and gives the graph the rest."""
        c = self.graph.config if self.graph is not None else None
        protect, slots = (c.protect_top, c.slots) if c else (5, 5)
        gap = c.max_similarity_gap if c else float("inf")
        gate = c.gate if c is not None else "all"
        gated = gate in ("novel", "evidence", "hop", "path")
        window = protect + slots  # the ranking of ten the placement was measured on
        if top_k is not None and top_k < protect + slots:
            protect = min(protect, max(1, top_k // 2))
            slots = min(slots, top_k - protect)
        # The gate judges a graph chunk against the hits the caller is shown (retrieval/graph_gate.py).
        first_stage = ShownHits.of(hits[:protect + slots]) if gated else None
        shown = {h.chunk_id for h in hits[:protect + slots]}
        by_id = {h.chunk_id: h for h in hits}
        by_point = {r.point_id: r for r in graph}
        order = order_graph_chunks({pid: evidence.chunk_scores.get(pid, 0.0) for pid in by_point},
                                   {pid: r.score for pid, r in by_point.items()})
        # 'path': the first-stage hits below the head that stay in the ranking of ten, and those a graph chunk took
        # the place of (they leave it, whichever they are; the others keep their order)
        staying = hits[protect:window]
        leaving: list[SearchHit] = []
        room = max(0, window - len(hits))  # a shorter ranking: graph chunks fill it first, pushing nobody out
        chosen: list[SearchHit] = []
        for r in (by_point[pid] for pid in order):
            if len(chosen) == slots:
                break
            if r.point_id in shown:
                by_id[r.point_id].scores.graph = evidence.chunk_scores.get(r.point_id)
                by_id[r.point_id].reached_from = tuple(sorted(evidence.reached_from.get(r.point_id, ())))
                continue
            # The hybrid hit this insertion pushes out of the first ten must not be closer to the query (the
            # same bar for a shorter list: a graph chunk has to be as relevant as a top-ten result).
            pushed_out = window - len(chosen) - 1
            allowed = gap
            adds = adds_evidence(gate, evidence, r.point_id, r.payload, first_stage, query.casefold()) if gated else True
            if adds is None:
                continue  # its passage is already shown: nothing new
            if not adds:
                if c.plain_gap is None or gate in ("hop", "path"):
                    continue  # adds nothing the first stage lacks ('hop', 'path': such a chunk never enters)
                allowed = c.plain_gap
            if gate == "path" and room:
                room -= 1
            elif gate == "path" and r.point_id not in {h.chunk_id for h in staying}:
                making_room = self._leaves_for(r, staying, allowed, evidence, first_stage)
                if making_room is None:
                    continue
                staying = [h for h in staying if h is not making_room]
                leaving.append(making_room)
            elif pushed_out < len(hits) and r.score < (hits[pushed_out].scores.dense or float("-inf")) - allowed:
                continue
            hit = by_id.get(r.point_id) or SearchHit.from_point(r.point_id, r.payload, r.score,
                                                                StageScores(None, r.score, None))
            hit.scores.graph = evidence.chunk_scores.get(r.point_id)
            hit.reached_from = tuple(sorted(evidence.reached_from.get(r.point_id, ())))
            chosen.append(hit)
        chosen_ids = {h.chunk_id for h in chosen}
        if gate == "path":
            out = {h.chunk_id for h in leaving}
            rest = [h for h in hits[protect:] if h.chunk_id not in chosen_ids and h.chunk_id not in out]
            kept = len([h for h in staying if h.chunk_id not in chosen_ids])
            return hits[:protect] + chosen + rest[:kept] + [h for h in hits if h.chunk_id in out] + rest[kept:]
        rest = [h for h in hits[protect:] if h.chunk_id not in chosen_ids]
        return hits[:protect] + chosen + rest

    @staticmethod
    def _leaves_for(graph_chunk: ScoredChunk, staying: list[SearchHit], allowed: float,
                    evidence: GraphEvidence, shown: ShownHits) -> SearchHit | None:
        """Under the gate 'path', which first-stage hit leaves the ranking of ten for this graph chunk (one that adds
        evidence): the staying hit least similar to the query (dense; the lowest-ranked among equals) when the chunk is
        within `allowed` of it — judged against the least similar hit shown, not the second stage's tenth, so the gate
        depends on which hits are shown and not on how the second stage ordered ten hits whose similarities lie within
        a few hundredths (docs/benchmarks.md, issue #16, session 29); else, when
        the chunk's passage is about the entity it brings evidence of (`graph_gate.about_its_evidence`), the lowest
        staying hit the graph finds unconnected to the question (`graph_gate.unconnected`: it names none of the
        question's entities nor the bridge the chunk continues, and states no relation on their paths) — a hit that
        adds nothing the question asks about, whatever its similarity; None: none may leave."""
        if not staying:
            return None
        least = min(reversed(staying), key=_dense_similarity)
        if graph_chunk.score >= _dense_similarity(least) - allowed:
            return least
        if not about_its_evidence(SearchHit.from_point(graph_chunk.point_id, graph_chunk.payload), evidence, shown):
            return None
        bridges = evidence.bridges.get(graph_chunk.point_id, set())
        return next((h for h in reversed(staying) if unconnected(h, evidence, bridges)), None)

    def _rerank(self, query: str, hits: list[SearchHit]) -> list[SearchHit]:
        head, tail = hits[:self.config.rerank_top_n], hits[self.config.rerank_top_n:]
        scores = self.reranker.score(query, rerank_candidates(query, head, hits))
        for hit, s in zip(head, scores):
            hit.scores.rerank = s
            hit.score = s
        head.sort(key=lambda h: h.score, reverse=True)
        return head + tail


def _dense_similarity(hit: SearchHit) -> float:
    return hit.scores.dense if hit.scores.dense is not None else float("-inf")


def rerank_candidates(query: str, hits: list[SearchHit], pool: list[SearchHit] | None = None) -> list[RerankCandidate]:
    """The second stage's view of `hits`; `pool`: every fused candidate (default: `hits`), over which each
    first-stage retriever's rank is counted."""
    query_script = majority_script(query)
    pool = hits if pool is None else pool
    dense_rank = _reciprocal_ranks({h.chunk_id: h.scores.dense for h in pool})
    sparse_rank = _reciprocal_ranks({h.chunk_id: h.scores.sparse for h in pool})
    return [RerankCandidate(h.text, h.scores.fused or 0.0, h.scores.dense, h.scores.sparse,
                            lexically_comparable(query_script, h.text), h.chunk_id,
                            dense_rank.get(h.chunk_id, 0.0), sparse_rank.get(h.chunk_id, 0.0), h.stored_terms())
            for h in hits]


def _reciprocal_ranks(scores: dict[str, float | None]) -> dict[str, float]:
    ranked = sorted((k for k, v in scores.items() if v is not None), key=lambda k: -scores[k])
    return {k: 1.0 / (1.0 + rank) for rank, k in enumerate(ranked)}
