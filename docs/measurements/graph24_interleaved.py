"""Graph mode with and without the entities' kept relations, interleaved query by query in one process (issue #14
point 5, session 24: s24-graph14).

    python docs/measurements/graph24_interleaved.py /tmp/s24g/10000 200 3 [--out result.json]

The benchmark's queries (its store, retriever, queries and knowledge-base filters: `evaluation/search_benchmark.py`)
each run three ways back to back, in a rotating order, `passes` times:
- `hybrid`: hybrid + second stage (the benchmark's reference);
- `graph, every edge`: graph mode with the walk reading and sorting every RELATES edge of each entity (main's query,
  `_two_hops`: what a graph not yet migrated gets);
- `graph, kept lists`: graph mode with the walk reading each entity's kept relations from its node (`_two_hops_kept`).
Both graph ways' ids are compared on every query. Also timed: the graph thread's evidence (linking + walk) per way.
The store is migrated first if it has no kept lists (`ensure_kept_relations`, timed).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from zhiku.core.settings import get_settings
from zhiku.graph.graph_store import GraphStore
from zhiku.evaluation.search_benchmark import (bench_retriever, SentencePool, _kb_filter,
                                               _percentiles, _queries, _with_graph)
from zhiku.index.sparse_encoder import build_sparse_encoder
from zhiku.retrieval.hybrid_retriever import RetrievalMode


def main(argv: list[str]) -> None:
    folder, count, passes = Path(argv[0]), int(argv[1]), int(argv[2])
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    s = get_settings()
    sparse = build_sparse_encoder(s.sparse_encoder)
    pool = SentencePool.load(Path("/work/shared/eval"))
    retriever = bench_retriever(folder, sparse, s)
    queries = _queries(pool, count)
    ways = ["hybrid", "graph, every edge", "graph, kept lists"]
    times: dict[str, list[float]] = {w: [] for w in ways}
    evidence_ms: dict[str, list[float]] = {w: [] for w in ways[1:]}
    differ = [0]

    def run() -> list[float]:
        graph = retriever.graph
        store, evidence = graph.store, graph.evidence
        current = [None]

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return evidence(*args, **kwargs)
            finally:
                if current[0] is not None:
                    evidence_ms[current[0]].append((time.perf_counter() - started) * 1000)
        graph.evidence = timed

        def run_one(way: str, i: int, query: str, record: bool):
            store._kept = (True, 0.0) if way == "graph, kept lists" else (False, float("inf"))
            current[0] = way if record and way != "hybrid" else None
            mode = RetrievalMode.HYBRID_RERANK if way == "hybrid" else RetrievalMode.GRAPH
            started = time.perf_counter()
            found = retriever.retrieve(query, _kb_filter(i), 10, mode).hits
            return (time.perf_counter() - started) * 1000, [h.chunk_id for h in found]

        for i, query in enumerate(queries[:5]):
            for way in ways:
                run_one(way, i, query, False)
        for p in range(passes):
            for i, query in enumerate(queries):
                order = ways[(i + p) % len(ways):] + ways[:(i + p) % len(ways)]
                ids = {}
                for way in order:
                    ms, ids[way] = run_one(way, i, query, True)
                    times[way].append(ms)
                differ[0] += ids["graph, every edge"] != ids["graph, kept lists"]
        return []

    migrate, migration = GraphStore.ensure_kept_relations, {}

    def timed_migration(self):
        started = time.perf_counter()
        migration["entities"] = migrate(self)
        migration["seconds"] = round(time.perf_counter() - started, 1)
        return migration["entities"]
    GraphStore.ensure_kept_relations = timed_migration
    started = time.perf_counter()
    _with_graph(folder, retriever, s, run)
    retriever.store.close()
    result = {way: _percentiles(v) for way, v in times.items()}
    hybrid = result["hybrid"]
    for way in ways[1:]:
        result[way]["p95_ratio"] = round(result[way]["p95"] / hybrid["p95"], 2)
        result[way]["p50_ratio"] = round(result[way]["p50"] / hybrid["p50"], 2)
        result[way]["evidence_ms"] = _percentiles(evidence_ms[way])
    result["queries"] = len(times["hybrid"])
    result["graph_ways_with_different_ids"] = differ[0]
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["migration"] = migration
    print(json.dumps(result, ensure_ascii=False))
    if out:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
