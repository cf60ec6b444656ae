"""Where one graph-mode search spends its time, part by part (issue #14 point 5, session 25; session 26: the change-counter polls, which run in the background, are not counted as a search's reads).

Each of the benchmark's queries runs as graph mode (`HybridRetriever.retrieve`, the benchmark's retriever, store and
knowledge-base filters, the projecting query embedder: the pipeline alone), `passes` times; every part is timed on
the thread that runs it:
- graph thread: `link` (the entity linker, its Bolt lookup included), each Bolt read by what it reads, `evidence`
  (the whole graph thread);
- request thread: `first stage` (dense + sparse), `hybrid ranking` (fusion + second stage), `wait for graph` (what
  is left of the graph thread when the ranking is done), `graph chunks` (the vector store's fetch of the graph's
  chunks), `insert` (the gate and the placement), `search` (the whole retrieve).

    python docs/measurements/graph26_split.py /tmp/s26g/10000 200 2 [--out result.json]
"""
from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import (bench_retriever, SentencePool, _kb_filter, _percentiles, _queries,
                                               _with_graph)
from zhiku.index.sparse_encoder import build_sparse_encoder
from zhiku.retrieval import hybrid_retriever as hr
from zhiku.retrieval.hybrid_retriever import RetrievalMode


def kind(cypher: str) -> str:
    if "g.seq" in cypher or "name_size" in cypher or "count(e) AS entities" in cypher:
        return "bolt: name index (poll of the change counters, re-reads; background threads)"
    if "kept_rkey[i]" in cypher:
        return "bolt: walk (kept lists)"
    if "h2_" in cypher:
        return "bolt: walk (every edge)"
    if ":ALIAS_OF" in cypher:
        return "bolt: lookup (linking)"
    if "SUPPORTED_BY" in cypher and "UNWIND $keys AS k" in cypher:
        return "bolt: second hop's chunks"
    return "bolt: other"


def main(argv: list[str]) -> None:
    folder, count, passes = Path(argv[0]), int(argv[1]), int(argv[2])
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    s = get_settings()
    retriever = bench_retriever(folder, build_sparse_encoder(s.sparse_encoder), s)
    queries = _queries(SentencePool.load(Path("/work/shared/eval")), count)
    parts: dict[str, list[float]] = {}
    bolt_reads: list[int] = []

    def note(name: str, started: float) -> None:
        parts.setdefault(name, []).append((time.perf_counter() - started) * 1000)

    def timed(name: str, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                note(name, started)
        return wrapper

    def run() -> list[float]:
        graph = retriever.graph
        store = graph.store
        original_read = store._read
        reads = [0]

        def read(cypher, **params):
            # the name index's poll and re-reads run on threads of their own, not in a search
            reads[0] += not threading.current_thread().name.startswith("zhiku-entity-names")
            started = time.perf_counter()
            try:
                return original_read(cypher, **params)
            finally:
                note(kind(cypher), started)
        store._read = read
        graph.linker.link = timed("link (linker, its lookup included)", graph.linker.link)
        graph.evidence = timed("evidence (the whole graph thread)", graph.evidence)
        retriever._first_stage = timed("first stage (dense + sparse)", retriever._first_stage)
        retriever._hybrid_ranking = timed("hybrid ranking (fusion + second stage)", retriever._hybrid_ranking)
        retriever._graph_chunks = timed("graph chunks (vector store fetch)", retriever._graph_chunks)
        retriever._insert_graph_hits = timed("insert (gate + placement)", retriever._insert_graph_hits)
        original_within = hr._within
        hr._within = timed("wait for the graph thread", original_within)
        try:
            for i, query in enumerate(queries[:5]):
                retriever.retrieve(query, _kb_filter(i), 10, RetrievalMode.GRAPH)
            parts.clear()
            for _ in range(passes):
                for i, query in enumerate(queries):
                    reads[0] = 0
                    started = time.perf_counter()
                    retriever.retrieve(query, _kb_filter(i), 10, RetrievalMode.GRAPH)
                    note("search (graph mode, whole)", started)
                    bolt_reads.append(reads[0])
        finally:
            hr._within = original_within
        return []

    _with_graph(folder, retriever, s, run)
    retriever.store.close()
    result = {k: _percentiles(v) | {"count": len(v), "total_ms": round(sum(v))} for k, v in parts.items()}
    result["bolt reads per search"] = {n: bolt_reads.count(n) for n in sorted(set(bolt_reads))}
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if out:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
