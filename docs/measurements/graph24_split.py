"""Where graph mode's graph thread spends its time, per Bolt read, with and without the kept relations (issue #14
point 5, session 24). Each of the benchmark's queries runs its graph evidence (linking + walk) both ways back to back,
alternating which goes first, `passes` times; every `GraphStore._read` is timed and named by what it reads.

    python docs/measurements/graph24_split.py /tmp/s24g/10000 200 2 [--out result.json]
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import (bench_retriever, SentencePool, _kb_filter, _percentiles, _queries,
                                               _with_graph)
from zhiku.graph import graph_store as gs
from zhiku.index.sparse_encoder import build_sparse_encoder


def kind(cypher: str) -> str:
    if "kept_rkey[i]" in cypher:
        return "walk (kept lists)"
    if "h2_" in cypher:
        return "walk (every edge)"
    if ":ALIAS_OF" in cypher:
        return "lookup"
    if "SUPPORTED_BY" in cypher and "UNWIND $keys AS k" in cypher:
        return "kept relations' chunks"
    return "other"


def main(argv: list[str]) -> None:
    folder, count, passes = Path(argv[0]), int(argv[1]), int(argv[2])
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    s = get_settings()
    retriever = bench_retriever(folder, build_sparse_encoder(s.sparse_encoder), s)
    queries = _queries(SentencePool.load(Path("/work/shared/eval")), count)
    reads: dict[str, dict[str, list[float]]] = {"every edge": {}, "kept lists": {}}
    whole: dict[str, list[float]] = {"every edge": [], "kept lists": []}

    def run() -> list[float]:
        store = retriever.graph.store
        original = store._read
        way = ["kept lists"]

        def timed(cypher, **params):
            started = time.perf_counter()
            try:
                return original(cypher, **params)
            finally:
                reads[way[0]].setdefault(kind(cypher), []).append((time.perf_counter() - started) * 1000)
        store._read = timed
        for p in range(passes):
            for i, query in enumerate(queries):
                for w in (("every edge", "kept lists") if (i + p) % 2 else ("kept lists", "every edge")):
                    way[0] = w
                    store._kept = (True, 0.0) if w == "kept lists" else (False, float("inf"))
                    started = time.perf_counter()
                    retriever.graph.evidence(query, _kb_filter(i).kb_ids)
                    whole[w].append((time.perf_counter() - started) * 1000)
        return []

    _with_graph(folder, retriever, s, run)
    retriever.store.close()
    result = {w: {"evidence": _percentiles(whole[w])}
              | {k: _percentiles(v) | {"count": len(v)} for k, v in reads[w].items()} for w in whole}
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if out:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
