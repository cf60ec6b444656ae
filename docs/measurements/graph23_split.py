"""Graph mode at 10k, per query and per step, through the benchmark's own code path (issue #14 point 5, s23-graphp95).

    python docs/measurements/graph23_split.py /tmp/bench23g/10000 200 [--out split.json] [--slowest 20]

The store, retriever, queries and filters are `evaluation/search_benchmark.py`'s (`measure_pipeline` / `_with_graph`);
the steps are timed by wrapping the methods the search calls (time.perf_counter, no sampling):

- first stage: the query vector, the dense and the sparse engine queries (main thread);
- graph wait: the main thread waiting for the graph's future after the first stage;
- graph chunks: the dense query restricted to the graph's best chunks (`point_ids`);
- second stage: `HybridRetriever._rerank`; fusion + hits = the rest of `rank` before it; gate: `_insert_graph_hits`;
- on the graph thread: the whole `GraphExpander.evidence`, its linking (`EntityLinker.link`, of which candidates),
  its walk (`GraphStore.walk`), and every Bolt read (`GraphStore._read`: count, ms, rows, first words of the Cypher).

Prints percentiles per step and the slowest queries with their split; `--out` writes every query's record.
"""
from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from pathlib import Path

from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import (bench_retriever, ProjectingEmbedder, SentencePool, _kb_filter,
                                               _queries, _with_graph)
from zhiku.graph.entity_linker import EntityLinker
from zhiku.graph.graph_store import GraphStore
from zhiku.index.edge_store import EdgeVectorStore
from zhiku.index.sparse_encoder import build_sparse_encoder
from zhiku.retrieval import hybrid_retriever as hr
from zhiku.retrieval.graph_expansion import GraphExpander
from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalMode

RECORD: dict = {}
_lock = threading.Lock()


def add(step: str, ms: float) -> None:
    with _lock:
        RECORD[step] = RECORD.get(step, 0.0) + ms


def wrap(owner, name: str, step: str, extra=None) -> None:
    original = getattr(owner, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            ms = (time.perf_counter() - started) * 1000
            add(step, ms)
            if extra is not None:
                extra(ms, args, kwargs)

    setattr(owner, name, timed)


def instrument() -> None:
    wrap(GraphExpander, "evidence", "graph evidence (thread)")
    wrap(EntityLinker, "link", "linking")
    wrap(EntityLinker, "_candidates", "linking: candidates")
    wrap(GraphStore, "walk", "walk")
    original_read = GraphStore._read

    def read(self, cypher, **params):
        started = time.perf_counter()
        rows = original_read(self, cypher, **params)
        ms = (time.perf_counter() - started) * 1000
        with _lock:
            RECORD.setdefault("reads", []).append((" ".join(cypher.split())[:60], round(ms, 2), len(rows)))
        return rows

    GraphStore._read = read
    wrap(hr, "_within", "graph wait")
    wrap(HybridRetriever, "_rerank", "second stage")
    wrap(HybridRetriever, "_insert_graph_hits", "gate")
    wrap(HybridRetriever, "rank", "rank (fusion + second stage + gate)")
    wrap(HybridRetriever, "candidates", "candidates (first stage + graph)")
    wrap(ProjectingEmbedder, "embed_query", "first stage: query vector")
    original_dense = EdgeVectorStore.search_dense

    def dense(self, vector, chunk_filter, n, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original_dense(self, vector, chunk_filter, n, *args, **kwargs)
        finally:
            ms = (time.perf_counter() - started) * 1000
            add("graph chunks" if getattr(chunk_filter, "point_ids", None) else "first stage: dense", ms)

    EdgeVectorStore.search_dense = dense
    wrap(EdgeVectorStore, "search_sparse", "first stage: sparse")


def pct(values: list[float]) -> str:
    ordered = sorted(values)
    return (f"p50 {ordered[len(ordered) // 2]:7.1f}  p95 {ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]:7.1f}"
            f"  mean {statistics.fmean(ordered):7.1f}  max {ordered[-1]:7.1f}")


def main(argv: list[str]) -> None:
    folder, count = Path(argv[0]), int(argv[1])
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    slowest = int(argv[argv.index("--slowest") + 1]) if "--slowest" in argv else 20
    s = get_settings()
    sparse = build_sparse_encoder(s.sparse_encoder)
    pool = SentencePool.load(Path("/work/shared/eval"))
    retriever = bench_retriever(folder, sparse, s)
    queries = _queries(pool, count)
    instrument()
    records = []

    def run() -> list[float]:
        for i, query in enumerate(queries[:5]):  # the benchmark's warm-up
            retriever.retrieve(query, _kb_filter(i), 10, RetrievalMode.GRAPH)
        times = []
        for i, query in enumerate(queries):
            RECORD.clear()
            started = time.perf_counter()
            found = retriever.retrieve(query, _kb_filter(i), 10, RetrievalMode.GRAPH)
            total = (time.perf_counter() - started) * 1000
            times.append(total)
            time.sleep(0.002)  # the graph thread's wrappers finish recording (its future is already done)
            record = dict(RECORD)
            record.update(i=i, query=query, total=round(total, 2), graph_timeout=found.graph is None,
                          linked=len(found.graph.linked) if found.graph else 0,
                          graph_chunks=len(found.graph.chunk_scores) if found.graph else 0,
                          paths=len(found.graph.subgraph.paths) if found.graph and found.graph.subgraph else 0)
            records.append(record)
        return times

    _with_graph(folder, retriever, s, run)
    retriever.store.close()
    steps = ["total", "candidates (first stage + graph)", "first stage: query vector", "first stage: dense",
             "first stage: sparse", "graph wait", "graph chunks", "rank (fusion + second stage + gate)",
             "second stage", "gate", "graph evidence (thread)", "linking", "linking: candidates", "walk"]
    for step in steps:
        print(f"{step:40s} {pct([r.get(step, 0.0) for r in records])}")
    print(f"{'bolt reads per query':40s} {pct([len(r.get('reads', [])) for r in records])}")
    print(f"{'bolt ms per query':40s} {pct([sum(x[1] for x in r.get('reads', [])) for r in records])}")
    by_label: dict[str, list] = {}
    for r in records:
        for label, ms, rows in r.get("reads", []):
            by_label.setdefault(label, []).append((ms, rows))
    for label, values in by_label.items():
        print(f"  {len(values):4d}× {label:60s} ms {pct([v[0] for v in values])} rows p50 "
              f"{sorted(v[1] for v in values)[len(values) // 2]} max {max(v[1] for v in values)}")
    print(f"\nslowest {slowest}:")
    for r in sorted(records, key=lambda r: -r["total"])[:slowest]:
        reads = ", ".join(f"{ms:.0f}ms/{rows}r" for _, ms, rows in r.get("reads", []))
        print(f"#{r['i']:3d} total {r['total']:6.1f} first {r.get('first stage: dense', 0) + r.get('first stage: sparse', 0) + r.get('first stage: query vector', 0):5.1f}"
              f" wait {r.get('graph wait', 0):5.1f} gchunks {r.get('graph chunks', 0):5.1f} 2nd {r.get('second stage', 0):5.1f}"
              f" gate {r.get('gate', 0):4.1f} | evid {r.get('graph evidence (thread)', 0):5.1f} link {r.get('linking', 0):5.1f}"
              f" (cand {r.get('linking: candidates', 0):4.1f}) walk {r.get('walk', 0):5.1f} reads [{reads}]"
              f" linked {r['linked']} paths {r['paths']} chunks {r['graph_chunks']} q={r['query'][:30]!r}")
    if out:
        out.write_text(json.dumps(records, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
