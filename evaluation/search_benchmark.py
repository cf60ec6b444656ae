"""`zhiku bench search`: search latency and memory as the corpus grows (10k, 100k, 1M chunks).

The corpus is realistic Chinese text: chunks of 200-500 characters recombined from the sentences of the
evaluation corpora (rgb_zh, cmrc2018_zh), spread over 20 knowledge bases, with the payload the indexer
writes (text, parent text, provenance). The sparse side is real (the configured sparse encoder, jieba BM25 by
default, on every chunk); dense vectors are synthetic but not random: each is a fixed random projection of
the chunk's own term vector plus noise, so neighbours share words, as with a real embedder. Queries are the
dev questions of the same sets, projected the same way; the real query model's own time is measured on the
same questions and reported apart.

Each size is built once into `<data dir>/<size>/` and reused (a build interrupted part-way resumes), so the
1M run can be made over several sittings. Each system is measured in a process of its own, so its RSS is its
own: (1) the engine alone (dense + sparse queries, the floor), (2) Zhiku's retrieval pipeline (hybrid + second
stage; + graph when `--graph` built one), (3) a LlamaIndex VectorStoreIndex over qdrant-client, as a LlamaIndex
user would build it (dense only; local mode, since no Qdrant server can be installed here).
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SOURCES = ("rgb_zh", "cmrc2018_zh")
KNOWLEDGE_BASES = 20
CHUNKS_PER_DOCUMENT = 40
DIMENSION = 384
_SENTENCE_MARKS = ("。", "！", "？", "；")
_SENTENCE_END = re.compile(r"(?<=[。！？；])")


# -- the corpus ------------------------------------------------------------------------------------
@dataclass
class SentencePool:
    """Every sentence ends with a sentence mark (one is added where a passage's last sentence has none), so no
    word of the tokenizer runs across two sentences: a chunk's terms are its sentences' terms in order, and each
    sentence is tokenised once per process (`terms`) instead of once per chunk it is drawn into (jieba was 74% of
    the 1M build's time)."""
    sentences: list[str]
    questions: list[str]
    _terms: dict[int, list[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, eval_dir: Path) -> "SentencePool":
        sentences: list[str] = []
        questions: list[str] = []
        for name in SOURCES:
            with open(eval_dir / name / "corpus.jsonl", encoding="utf-8") as corpus:
                for line in corpus:
                    text = json.loads(line)["text"]
                    sentences += [s if s.endswith(_SENTENCE_MARKS) else s + "。"
                                  for s in (part.strip() for part in _SENTENCE_END.split(text))
                                  if 8 <= len(s) <= 200]
            with open(eval_dir / name / "dev" / "queries.jsonl", encoding="utf-8") as queries:
                questions += [json.loads(line)["text"] for line in queries]
        if not sentences:
            raise ValueError(f"no sentences found under {eval_dir}")
        return cls(sentences, questions)

    def parts(self, index: int) -> tuple[list[int], list[int]]:
        """Chunk `index`'s sentences (the same at every run): those of its text, and those its parent adds."""
        rng = random.Random(index)
        text, size, target = [], 0, rng.randint(200, 500)
        while size < target:
            text.append(rng.randrange(len(self.sentences)))
            size += len(self.sentences[text[-1]])
        return text, [rng.randrange(len(self.sentences)) for _ in range(6)]

    def chunk(self, index: int) -> tuple[str, str]:
        """Chunk `index`: its text and its parent's."""
        text_ids, extra_ids = self.parts(index)
        text = "".join(self.sentences[i] for i in text_ids)
        return text, (text + "".join(self.sentences[i] for i in extra_ids))[:2048]

    def terms(self, tokenizer, sentence_ids: list[int]) -> list[str]:
        """`tokenizer.tokenize` of the sentences joined, from each sentence's terms."""
        terms: list[str] = []
        for i in sentence_ids:
            cached = self._terms.get(i)
            if cached is None:
                cached = self._terms[i] = tokenizer.tokenize(self.sentences[i])
            terms += cached
        return terms


class Projector:
    """Dense vectors from term vectors: a fixed Gaussian projection of the hashed terms, plus noise. A chunk's
    noise is drawn from a generator seeded by the chunk's index, so its vector is the same whichever process
    computes it and in whatever order (the build runs in several processes and resumes)."""

    def __init__(self, seed: int = 7, buckets: int = 1 << 16):
        rng = np.random.default_rng(seed)
        self._matrix = rng.standard_normal((buckets, DIMENSION), dtype=np.float32)
        self._buckets = buckets
        self._seed = seed

    def project(self, indices: list[int], values: list[float], noise: float = 0.3, index: int = 0) -> np.ndarray:
        if indices:
            rows = self._matrix[np.asarray(indices) % self._buckets]
            vector = np.asarray(values, dtype=np.float32) @ rows  # the weighted sum of the rows, as one matmul
            vector /= max(float(np.linalg.norm(vector)), 1e-6)
        else:
            vector = np.zeros(DIMENSION, dtype=np.float32)
        if noise:
            draw = np.random.default_rng((self._seed + 1, index)).standard_normal(DIMENSION, dtype=np.float32)
            vector = vector + noise * draw / np.sqrt(DIMENSION)
        return (vector / max(float(np.linalg.norm(vector)), 1e-6)).astype(np.float32)


class ProjectingEmbedder:
    """The pipeline's query embedder in the benchmark: the same projection as the corpus (microseconds), so the
    pipeline's own time is measured; the real model's time is reported apart."""

    model_id = "bench:projection"
    dimension = DIMENSION

    def __init__(self, sparse, projector: Projector):
        self._sparse, self._projector = sparse, projector

    def embed_query(self, text: str) -> np.ndarray:
        vector = self._sparse.encode_query(text)
        return self._projector.project(vector.indices, vector.values, noise=0.0)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.embed_query(t) for t in texts])


def _payload(index: int, text: str, parent: str) -> dict:
    document = index // CHUNKS_PER_DOCUMENT
    return {"kb_id": f"kb{document % KNOWLEDGE_BASES:02d}", "document_id": f"doc{document:07d}", "version": "v1",
            "document_name": f"文档{document:07d}.docx", "file_type": "docx", "access_principals": ["*"],
            "chunk_index": index % CHUNKS_PER_DOCUMENT, "text": text, "parent_id": f"doc{document:07d}:v1:p",
            "parent_text": parent, "page": 1 + (index % CHUNKS_PER_DOCUMENT) // 4, "page_end": None,
            "heading_path": ["第一章 总则"], "char_start": 0, "char_end": len(text), "bbox": None,
            "start_s": None, "end_s": None}


def point_id(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


# -- building a size once ----------------------------------------------------------------------------
# Tokenising (jieba, ~3 ms a chunk) is most of a build: it runs in forked worker processes, in order, while
# this process writes the previous batch. The workers find what they need in _WORK (set before the fork).
_WORK: dict = {}
WRITE_BATCH = 1000
# chunks the graph extraction runs ahead of the graph writer
GRAPH_BATCH = 2000
LLAMAINDEX_SECONDS = float(os.environ.get("ZHIKU_BENCH_LLAMAINDEX_SECONDS", "300"))


def _chunk_points(span: tuple[int, int]) -> list:
    """Chunks span[0]..span[1]-1 as index points: text, parent, real sparse vector, projected dense vector."""
    from zhiku.index.chunk_terms import encode_chunk, terms_id, terms_payload
    from zhiku.index.vector_store import IndexPoint

    pool, sparse, projector = _WORK["pool"], _WORK["sparse"], _WORK["projector"]
    from_sentences = terms_id(sparse) is not None and hasattr(sparse, "encode_terms")
    points = []
    for index in range(*span):
        text, parent = pool.chunk(index)
        if from_sentences:  # the same terms and vector as encode_chunk(sparse, text, text) (the indexer's)
            terms = pool.terms(sparse, pool.parts(index)[0])
            vector, kept = sparse.encode_terms(terms), terms_payload(sparse, text, terms)
        else:
            vector, kept = encode_chunk(sparse, text, text)
        points.append(IndexPoint(point_id(index), projector.project(vector.indices, vector.values, index=index),
                                 vector, {**_payload(index, text, parent), **kept}))
    return points


class InOrder:
    """function(item) for each item, in order, computed by `processes` processes forked now (1: computed in this
    process as it is iterated), at most a few items ahead of the consumer (memory stays bounded at 1M chunks)."""

    def __init__(self, function: Callable, items: list, processes: int, ahead: int = 0):
        """`ahead`: items computed ahead of the consumer, besides two per process (a consumer that takes many
        items before its own long step, as the graph writer does, keeps the processes busy meanwhile)."""
        self._function, self._items, self._workers = function, items, None
        if processes > 1 and len(items) > 1:
            import multiprocessing

            self._workers = multiprocessing.get_context("fork").Pool(processes)
            self._ahead = 2 * processes + ahead

    def __iter__(self):
        if self._workers is None:
            yield from map(self._function, self._items)
            return
        from collections import deque

        pending = deque()
        items = iter(self._items)
        for item in items:
            pending.append(self._workers.apply_async(self._function, (item,)))
            if len(pending) >= self._ahead:
                break
        while pending:
            result = pending.popleft().get()
            for item in items:
                pending.append(self._workers.apply_async(self._function, (item,)))
                break
            yield result

    def close(self) -> None:
        if self._workers is not None:
            self._workers.terminate()
            self._workers.join()
            self._workers = None


def default_processes() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def build_store(folder: Path, size: int, pool: SentencePool, sparse, on_progress: Callable[[int, int], None],
                processes: int = 1, checkpoint: int = 20_000, hnsw=None) -> dict:
    """Write `size` chunks into an edge store at `folder` (resuming where a previous run stopped: the store is
    flushed and the count kept in build.json every `checkpoint` chunks), then build its HNSW index with the
    background builder. `hnsw`: the graph's parameters (index/edge_store.py HnswSettings; default: the settings'
    ZHIKU_EDGE_HNSW_M, ZHIKU_EDGE_HNSW_EF_CONSTRUCT, ZHIKU_EDGE_INDEX_THREADS), kept when the store is created.
    Returns (and keeps in build.json) the timings."""
    from zhiku.index.edge_index_builder import BackgroundIndexBuilder
    from zhiku.core.settings import get_settings
    from zhiku.index.edge_store import EdgeVectorStore, HnswSettings

    record_path = folder / "build.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {"size": size, "written": 0,
                                                                                  "write_seconds": 0.0}
    if record.get("indexed"):
        return record
    folder.mkdir(parents=True, exist_ok=True)
    _WORK.update(pool=pool, sparse=sparse, projector=Projector())
    getattr(sparse, "tokenize", sparse.encode_document)("预热")  # jieba's dictionary loaded once, before the fork
    spans = [(start, min(size, start + WRITE_BATCH)) for start in range(record["written"], size, WRITE_BATCH)]
    points_of = InOrder(_chunk_points, spans, processes)  # the workers are forked before the store opens
    store = EdgeVectorStore(folder / "chunks", hnsw=hnsw or HnswSettings.from_settings(get_settings()))
    clock = time.perf_counter
    try:
        store.ensure_collection(DIMENSION, ProjectingEmbedder.model_id)
        started = clock()
        batches = iter(points_of)
        for _, stop in spans:
            waited = clock()
            points = next(batches)
            upserting = clock()
            store.upsert(points)
            # where the writer's time goes: waiting for the tokenising processes, or the engine's upsert
            record["writer_wait_seconds"] = record.get("writer_wait_seconds", 0.0) + upserting - waited
            record["upsert_seconds"] = record.get("upsert_seconds", 0.0) + clock() - upserting
            record["written"] = stop
            if record["written"] % checkpoint == 0 or record["written"] == size:
                store.shard.flush()
                now = time.perf_counter()
                record["write_seconds"] += now - started
                started = now
                record.setdefault("write_processes", processes)
                record_path.write_text(json.dumps(record))
            on_progress(record["written"], size)
        points_of.close()
        build = BackgroundIndexBuilder(store, threshold=0, nice=5).build_now()
        if not build.succeeded:
            raise RuntimeError(build.error)
        record.update(indexed=True, copy_seconds=round(build.copy_seconds, 2),
                      hnsw_build_seconds=round(build.build_seconds, 1), adopt_seconds=round(build.adopt_seconds, 2),
                      write_seconds=round(record["write_seconds"], 1), unindexed_after=store.unindexed_points(),
                      hnsw_config=store.hnsw_config(),
                      disk_mb=round(_folder_mb(store.current_folder())))
        record_path.write_text(json.dumps(record))
        return record
    finally:
        points_of.close()
        store.close()


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def _document_facts(document_start: int) -> tuple[str, str, list]:
    """One document's chunks through rule extraction and its knowledge base's resolver, as the service does."""
    from zhiku.graph.graph_store import ChunkFacts

    pool, extractor, resolvers, size = _WORK["pool"], _WORK["extractor"], _WORK["resolvers"], _WORK["size"]
    payload = _payload(document_start, "", "")
    resolver = resolvers(payload["kb_id"])
    facts = []
    for index in range(document_start, min(size, document_start + CHUNKS_PER_DOCUMENT)):
        extraction = resolver.resolve(extractor.extract(pool.chunk(index)[0], ["第一章 总则"]))
        facts.append(ChunkFacts(point_id(index), extraction.entities, extraction.relations))
    return payload["kb_id"], payload["document_id"], facts


def build_graph(folder: Path, size: int, pool: SentencePool, settings,
                on_progress: Callable[[int, int], None], processes: int = 1) -> dict:
    """The corpus's knowledge graph (rule extraction, as the service builds it) in a local Bolt server kept in
    `<folder>/graph`, its chunk ids the store's point ids, so graph expansion finds the chunks. Extraction runs
    in `processes` forked processes, writes in this one."""
    from neo4j import GraphDatabase

    from zhiku.graph.bolt_server import EmbeddedBoltServer
    from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
    from zhiku.evaluation.graph_bulk_load import GraphBulkLoad
    from zhiku.graph.graph_store import DocumentFacts, GraphStore

    record_path = folder / "graph.json"
    if record_path.exists():
        return json.loads(record_path.read_text())
    _WORK.update(pool=pool, extractor=make_extractor(settings), resolvers=make_resolver_factory(settings), size=size)
    # one knowledge base after another (document d is in kb d % 20), each in document order: the bulk load keeps
    # one knowledge base's rows at a time; the extraction runs a whole batch ahead of the writes
    documents = sorted(range(0, size, CHUNKS_PER_DOCUMENT),
                       key=lambda start: (start // CHUNKS_PER_DOCUMENT % KNOWLEDGE_BASES, start))
    # (a knowledge base's worth, so extraction goes on while the previous one is written)
    ahead = max(GRAPH_BATCH // CHUNKS_PER_DOCUMENT, len(documents) // KNOWLEDGE_BASES)
    facts_of = InOrder(_document_facts, documents, processes, ahead=ahead)
    # the bulk load creates, never merges: a graph left by an interrupted build is started again
    shutil.rmtree(folder / "graph", ignore_errors=True)
    server = EmbeddedBoltServer(folder / "graph", heap="1g")
    started = time.perf_counter()
    entities = relations = 0
    try:
        info = server.start()
        driver = GraphDatabase.driver(info.uri, auth=server.auth())
        try:
            store = GraphStore(driver, info.database)
            store.ensure_schema()
            load = GraphBulkLoad(store)
            done, loading = 0, None
            for kb_id, document_id, facts in facts_of:
                if kb_id != loading and loading is not None:
                    load.flush()  # the previous knowledge base is complete
                    on_progress(done, size)
                loading = kb_id
                entities += sum(len(f.entities) for f in facts)
                relations += sum(len(f.relations) for f in facts)
                load.add([DocumentFacts(kb_id, document_id, "v1", facts)])
                done += len(facts)
            load.flush()
            on_progress(done, size)
        finally:
            driver.close()
    finally:
        facts_of.close()
        server.stop()
    record = {"graph_seconds": round(time.perf_counter() - started, 1), "entity_mentions": entities,
              "relations": relations, "processes": processes,
              "writer": "bulk load (evaluation/graph_bulk_load.py), one knowledge base at a time"}
    record_path.write_text(json.dumps(record))
    return record


# -- measuring, one system per process ------------------------------------------------------------------
def _percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)  # noqa: E731
    return {"p50": pick(0.5), "p95": pick(0.95), "mean": round(statistics.fmean(ordered), 2)}


def _rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20)


def _queries(pool: SentencePool, count: int) -> list[str]:
    return [pool.questions[i % len(pool.questions)] for i in range(count)]


def _kb_filter(i: int):
    from zhiku.index.vector_store import ChunkFilter

    return ChunkFilter(kb_ids=[f"kb{i % KNOWLEDGE_BASES:02d}"], principals=["bench"])


def measure_engine(folder: Path, pool: SentencePool, sparse, count: int) -> dict:
    """The floor: the engine's dense and sparse queries (top 50 each, tenant filter), nothing else; and the
    HNSW graph's recall@10 against an exact scan."""
    from zhiku.index.edge_store import EdgeVectorStore

    store = EdgeVectorStore(folder / "chunks")
    store.ensure_collection(DIMENSION, ProjectingEmbedder.model_id)
    embed = ProjectingEmbedder(sparse, Projector())
    queries = _queries(pool, count)
    vectors = [(embed.embed_query(q), sparse.encode_query(q)) for q in queries]
    for dense, vector in vectors[:5]:
        store.search_dense(dense, _kb_filter(0), 50)
    times, recalls = [], []
    for i, (dense, vector) in enumerate(vectors):
        started = time.perf_counter()
        store.search_dense(dense, _kb_filter(i), 50)
        store.search_sparse(vector, _kb_filter(i), 50)
        times.append((time.perf_counter() - started) * 1000)
    for i, (dense, _) in enumerate(vectors[:100]):
        approximate = {h.point_id for h in store.search_dense(dense, _kb_filter(i), 10)}
        exact = {h.point_id for h in store.search_dense(dense, _kb_filter(i), 10, exact=True)}
        recalls.append(len(approximate & exact) / max(len(exact), 1))
    result = {"system": "engine alone (dense + sparse, top 50 each)", "ms": _percentiles(times),
              "hnsw_recall_at_10": round(statistics.fmean(recalls), 4), "rss_mb": _rss_mb(),
              "points": store.info().points_count, "unindexed": store.unindexed_points()}
    store.close()
    return result


def bench_retriever(folder: Path, sparse, settings):
    """The service's retriever (fusion and second stage from `settings`) over a built bench store, with the store's
    projecting embedder for queries; also used by the measurement scripts in docs/measurements and docs/profiles."""
    from zhiku.index.edge_store import EdgeVectorStore
    from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalConfig
    from zhiku.retrieval.reranker_factory import build_reranker

    store = EdgeVectorStore(folder / "chunks")
    store.ensure_collection(DIMENSION, ProjectingEmbedder.model_id)
    s = settings
    config = RetrievalConfig(s.candidates_per_retriever, s.fusion, s.fusion_dense_weight, s.rrf_k, s.rerank_top_n,
                             s.fusion_dense_weight_zh, s.fusion_dense_weight_en)
    return HybridRetriever(store, ProjectingEmbedder(sparse, Projector()), sparse, build_reranker(s, sparse), config)


def measure_pipeline(folder: Path, pool: SentencePool, sparse, count: int, settings) -> dict:
    from zhiku.index.factory import build_embedder
    from zhiku.index.query_embedding import QueryEmbedding
    from zhiku.retrieval.hybrid_retriever import RetrievalMode

    s = settings
    retriever = bench_retriever(folder, sparse, s)
    store = retriever.store
    queries = _queries(pool, count)

    without_graph = [0]  # graph-mode searches that went on without the graph (its timeout)

    def timed(*modes) -> list[list[float]]:
        """Each query in every mode, one right after the other (the order turned at every query), so a change in
        the machine's load between two modes' runs does not show as a difference between the modes."""
        for i, query in enumerate(queries[:5]):
            for mode in modes:
                retriever.retrieve(query, _kb_filter(i), 10, mode)
        times: dict = {mode: [] for mode in modes}
        for i, query in enumerate(queries):
            for mode in (modes if i % 2 == 0 else modes[::-1]):
                started = time.perf_counter()
                found = retriever.retrieve(query, _kb_filter(i), 10, mode)
                times[mode].append((time.perf_counter() - started) * 1000)
                without_graph[0] += mode is RetrievalMode.GRAPH and found.graph is None
        return [times[mode] for mode in modes]

    # the real query model, uncached, on its own thread (as the service runs it)
    model = QueryEmbedding(build_embedder(s, threads=s.query_model_threads), cache_size=0, threads=s.query_model_threads)
    projecting = retriever.embedder

    def both(*modes) -> tuple[list[list[float]], list[list[float]]]:
        """The pipeline alone (the projecting embedder: microseconds), then /search as served: the real query model
        in the loop, which the graph's round trips overlap in the service (hybrid_retriever runs them beside it)."""
        alone = timed(*modes)
        retriever.embedder = _ServedQueries(model, s.query_embed_chars)
        try:
            return alone, timed(*modes)
        finally:
            retriever.embedder = projecting

    graph_ms = served_graph_ms = None
    if (folder / "graph.json").exists():
        ((times, graph_ms), (served_ms, served_graph_ms)), rss = _with_graph(
            folder, retriever, s, lambda: both(RetrievalMode.HYBRID_RERANK, RetrievalMode.GRAPH))
    else:
        ([times], [served_ms]), rss = both(RetrievalMode.HYBRID_RERANK), _rss_mb()
    for query in queries[:3]:
        model.embed(query)
    model._seconds.clear()
    for query in queries:
        model.embed(query)
    embedding = model.latency_ms()
    model.close()
    store.close()
    return {"system": "Zhiku hybrid + second stage (excl. query embedding)", "ms": _percentiles(times),
            "with_graph_ms": _percentiles(graph_ms) if graph_ms else None,
            "graph_timeouts": without_graph[0] if graph_ms else None,
            "query_embedding_ms": embedding, "rss_mb": rss,
            "with_embedding_ms_estimate": {"p50": round(_percentiles(times)["p50"] + embedding["p50"], 1),
                                           "p95": round(_percentiles(times)["p95"] + embedding["p95"], 1)},
            # the search as /search runs it (the real query model in the loop, uncached), HTTP aside
            "served_ms": _percentiles(served_ms),
            "served_with_graph_ms": _percentiles(served_graph_ms) if served_graph_ms else None}


class _ServedQueries:
    """The service's query path over the bench's model: the query cut to its bounded prefix, then the model on
    its own thread (index/query_embedding.py; the cache off, so every query is embedded)."""

    def __init__(self, model, query_chars: int):
        self._model, self._chars = model, query_chars

    def embed_query(self, text: str):
        return self._model.embed(text[:self._chars])


def _with_graph(folder: Path, retriever, settings, measure: Callable[[], list]):
    from neo4j import GraphDatabase

    from zhiku.graph.bolt_server import EmbeddedBoltServer
    from zhiku.graph.entity_linker import EntityLinker
    from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
    from zhiku.graph.graph_store import GraphStore
    from zhiku.retrieval.graph_expansion import GraphExpander, GraphRetrievalConfig

    # the configured JIT (ZHIKU_GRAPH_JIT: `quick` by default, `full` for a search-heavy server), as the service runs it
    server = EmbeddedBoltServer(folder / "graph", heap="1g", jit=settings.graph_jit)
    info = server.start()
    driver = GraphDatabase.driver(info.uri, auth=server.auth())
    try:
        store = GraphStore(driver, info.database)
        # a store built before the entities kept their best relations and their chunks, or the facts their chunks (or
        # by the bulk load, which does not mark them): once, in ensure_schema's order, as a service
        store.ensure_fact_chunks()
        store.ensure_kept_relations()
        store.ensure_kept_chunks()
        linker = EntityLinker(store, make_extractor(settings), make_resolver_factory(settings)(""))
        # a running service has read its knowledge bases' entity names long before (graph/entity_names.py)
        linker.name_index.wait_loaded([f"kb{k:02d}" for k in range(KNOWLEDGE_BASES)], timeout=600)
        retriever.graph = GraphExpander(store, linker, GraphRetrievalConfig.from_settings(settings))
        times = measure()
        return times, _rss_mb()
    finally:
        retriever.graph = None
        driver.close()
        server.stop()


def measure_llamaindex(folder: Path, pool: SentencePool, sparse, count: int, size: int,
                       processes: int = 1) -> dict:
    """A LlamaIndex VectorStoreIndex over qdrant-client (local mode), built from the same chunks and vectors."""
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.embeddings import BaseEmbedding
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores import ExactMatchFilter, MetadataFilters
    from llama_index.vector_stores.qdrant import QdrantVectorStore
    from qdrant_client import QdrantClient

    projector = Projector()
    embed = ProjectingEmbedder(sparse, projector)

    class Projection(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return embed.embed_query(query).tolist()

        def _get_text_embedding(self, text: str) -> list[float]:
            return embed.embed_query(text).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    LlamaSettings.embed_model = Projection(model_name="projection")
    path = folder / "llamaindex"
    path.mkdir(parents=True, exist_ok=True)
    # qdrant-client's local mode does not keep a second process out (two builders corrupted a 100k build with
    # "database is locked"): one benchmark process per collection
    import fcntl

    guard = open(path / "bench.lock", "w")
    try:
        fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise RuntimeError(f"another process is building or measuring {path}") from None
    built = (path / "done").exists()
    if not built:
        # the same chunks and vectors as the store, computed in forked processes (before the client opens);
        # LlamaIndex's own share (insert_nodes) is timed apart from computing them
        # A build stopped part-way resumes after the last batch progress.json records (its time carried over).
        _WORK.update(pool=pool, sparse=sparse, projector=projector)
        progress_path = path / "progress.json"
        progress = json.loads(progress_path.read_text()) if progress_path.exists() else {
            "written": 0, "seconds": 0.0, "insert_seconds": 0.0}
        if progress["written"]:
            progress["resumed_at"] = [*progress.get("resumed_at", []), progress["written"]]
        spans = [(start, min(size, start + WRITE_BATCH)) for start in range(progress["written"], size, WRITE_BATCH)]
        points_of = InOrder(_chunk_points, spans, processes)
    client = QdrantClient(path=str(path / "qdrant"))
    vector_store = QdrantVectorStore(client=client, collection_name="chunks")
    if not built:
        started = time.perf_counter() - progress["seconds"]
        inserting = progress["insert_seconds"]
        try:
            index = VectorStoreIndex([], storage_context=StorageContext.from_defaults(vector_store=vector_store))
            for points in points_of:
                nodes = [TextNode(id_=p.point_id, text=p.payload["text"], embedding=p.dense.tolist(),
                                  metadata={"kb_id": p.payload["kb_id"]}) for p in points]
                before = time.perf_counter()
                index.insert_nodes(nodes)
                inserting += time.perf_counter() - before
                written = int(nodes[-1].id_.rsplit("-", 1)[1]) + 1
                progress_path.write_text(json.dumps({  # how far a long build got, and how fast
                    "written": written, "seconds": round(time.perf_counter() - started, 1),
                    "insert_seconds": round(inserting, 1), "resumed_at": progress.get("resumed_at", [])}))
        finally:
            points_of.close()
        (path / "done").write_text(json.dumps({"seconds": time.perf_counter() - started,
                                               "insert_seconds": inserting,
                                               "resumed_at": progress.get("resumed_at", [])}))
    done = json.loads((path / "done").read_text())
    build_seconds, insert_seconds = done["seconds"], done["insert_seconds"]
    index = VectorStoreIndex.from_vector_store(vector_store)
    queries = _queries(pool, count)
    times = []
    # qdrant-client's local mode scans every point in Python: at 100k a query takes seconds, so the run stops
    # after LLAMAINDEX_SECONDS (with at least 20 queries) and says how many it made
    budget = time.perf_counter() + LLAMAINDEX_SECONDS
    for i, query in enumerate(queries):
        if len(times) >= 20 and time.perf_counter() > budget:
            break
        retriever = index.as_retriever(similarity_top_k=10, filters=MetadataFilters(
            filters=[ExactMatchFilter(key="kb_id", value=f"kb{i % KNOWLEDGE_BASES:02d}")]))
        started = time.perf_counter()
        retriever.retrieve(query)
        times.append((time.perf_counter() - started) * 1000)
    result = {"system": "LlamaIndex VectorStoreIndex over qdrant-client (local mode, dense only)",
              "ms": _percentiles(times), "queries": len(times), "rss_mb": _rss_mb(),
              "build_seconds": round(build_seconds, 1),
              "insert_nodes_seconds": round(insert_seconds, 1)}
    client.close()
    return result


# -- orchestration ---------------------------------------------------------------------------------------
def run_in_child(kind: str, folder: Path, size: int, count: int, eval_dir: Path, processes: int = 1) -> dict:
    """Measure one system in a fresh process (its RSS is its own)."""
    result = subprocess.run([sys.executable, "-m", "zhiku.evaluation.search_benchmark", kind, str(folder), str(size),
                             str(count), str(eval_dir), str(processes)], capture_output=True, text=True)
    if result.returncode != 0:
        return {"system": kind, "error": result.stderr[-2000:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def _child_main(argv: list[str]) -> None:
    from zhiku.core.settings import get_settings
    from zhiku.index.sparse_encoder import build_sparse_encoder

    kind, folder, size, count, eval_dir = argv[0], Path(argv[1]), int(argv[2]), int(argv[3]), Path(argv[4])
    processes = int(argv[5]) if len(argv) > 5 else 1
    settings = get_settings()
    pool = SentencePool.load(eval_dir)
    sparse = build_sparse_encoder(settings.sparse_encoder)
    if kind == "engine":
        result = measure_engine(folder, pool, sparse, count)
    elif kind == "pipeline":
        result = measure_pipeline(folder, pool, sparse, count, settings)
    else:
        result = measure_llamaindex(folder, pool, sparse, count, size, processes)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _child_main(sys.argv[1:])
