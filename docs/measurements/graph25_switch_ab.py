"""Graph mode and hybrid + second stage under different GIL switch intervals, query by query (issue #14 point 5,
session 25). The graph thread's Bolt reads wait for the GIL after every socket read while the request thread
runs the second stage in Python; CPython hands the GIL over only every `sys.getswitchinterval()` (5 ms by
default). Each of the benchmark's queries runs in both modes under each interval, back to back, the order of the
(interval, mode) pairs turned at every query, `passes` times (the pipeline alone: the projecting query embedder).

    python docs/measurements/graph25_switch_ab.py /tmp/s25g/10000 200 2 0.005,0.001 [--out result.json]
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import (bench_retriever, SentencePool, _kb_filter, _percentiles, _queries,
                                               _with_graph)
from zhiku.index.sparse_encoder import build_sparse_encoder
from zhiku.retrieval.hybrid_retriever import RetrievalMode


def main(argv: list[str]) -> None:
    folder, count, passes = Path(argv[0]), int(argv[1]), int(argv[2])
    intervals = [float(x) for x in argv[3].split(",")]
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    s = get_settings()
    retriever = bench_retriever(folder, build_sparse_encoder(s.sparse_encoder), s)
    queries = _queries(SentencePool.load(Path("/work/shared/eval")), count)
    pairs = [(i, m) for i in intervals for m in (RetrievalMode.HYBRID_RERANK, RetrievalMode.GRAPH)]
    times: dict = {p: [] for p in pairs}
    default = sys.getswitchinterval()

    def run() -> list[float]:
        for i, query in enumerate(queries[:5]):
            for _, mode in pairs:
                retriever.retrieve(query, _kb_filter(i), 10, mode)
        for p in range(passes):
            for i, query in enumerate(queries):
                shift = (i + p) % len(pairs)
                for interval, mode in pairs[shift:] + pairs[:shift]:
                    sys.setswitchinterval(interval)
                    started = time.perf_counter()
                    retriever.retrieve(query, _kb_filter(i), 10, mode)
                    times[(interval, mode)].append((time.perf_counter() - started) * 1000)
        sys.setswitchinterval(default)
        return []

    _with_graph(folder, retriever, s, run)
    retriever.store.close()
    result = {}
    for interval in intervals:
        hybrid = _percentiles(times[(interval, RetrievalMode.HYBRID_RERANK)])
        graph = _percentiles(times[(interval, RetrievalMode.GRAPH)])
        result[f"switch interval {interval * 1000:g} ms"] = {
            "hybrid + second stage": hybrid, "graph mode": graph,
            "graph / hybrid p95": round(graph["p95"] / hybrid["p95"], 2),
            "graph / hybrid p50": round(graph["p50"] / hybrid["p50"], 2)}
    print(json.dumps(result, indent=1))
    if out:
        out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
