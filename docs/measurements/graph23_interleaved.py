"""Graph mode before and after s23-graphp95's changes, interleaved query by query in one process (issue #14 point 5).

    python docs/measurements/graph23_interleaved.py /tmp/bench23g/10000 200 3 [--out result.json]

On a machine shared with other work, separate benchmark runs minutes apart differ more than the change does; here every
one of the benchmark's queries (its store, retriever, queries and filters: `evaluation/search_benchmark.py`) runs in
three ways back to back, in a rotating order, `passes` times:
- `hybrid`: hybrid + second stage (the benchmark's reference);
- `graph, main's path`: graph mode as main runs it — `candidates()` (the graph waited for after the first stage) then
  `rank()`, the walk's second hop sent with all five keys (`_edge_fields`) and every row read with `Record.data()`;
- `graph, this branch`: `retrieve()` (fusion and the second stage while the graph is waited for), the short second-hop
  columns, rows from the records' values;
- with `--split`, also `graph, overlap only`: `retrieve()` with main's walk query and `Record.data()`.
Both graph paths return the same ids (checked on every query here too).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from neo4j import READ_ACCESS

from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import (bench_retriever, SentencePool, _kb_filter,
                                               _percentiles, _queries, _with_graph)
from zhiku.graph import graph_store as gs
from zhiku.index.sparse_encoder import build_sparse_encoder
from zhiku.retrieval.hybrid_retriever import RetrievalMode

NEW_TWO_HOPS, NEW_UNPACK, NEW_READ = gs._two_hops, gs._unpack, gs.GraphStore._read


def old_two_hops(document_ids) -> str:
    text = NEW_TWO_HOPS(document_ids)
    short = ", ".join(f"collect({v}) AS h2_{k}" for k, v in gs._SECOND_HOP_FIELDS)
    full = ", ".join(f"collect({v}) AS h2_{k}" for k, v in gs._edge_fields("r2", "m", "x", None))
    text = text.replace(short, full)
    return text.replace(", ".join(f"h2_{k}" for k, _ in gs._SECOND_HOP_FIELDS),
                        ", ".join(f"h2_{k}" for k, _ in gs._edge_fields("r2", "m", "x", None)))


def old_unpack(row: dict) -> list[dict]:
    columns = [k for k in row if k.startswith("h2_")]
    return [{k[3:]: row[k][i] for k in columns} for i in range(len(row["h2_rkey"] or []))]


def old_read(self, cypher: str, **params) -> list[dict]:
    with self.driver.session(database=self.database, default_access_mode=READ_ACCESS) as session:
        return [record.data() for record in session.run(cypher, params)]


def use(old: bool) -> None:
    gs._two_hops, gs._unpack = (old_two_hops, old_unpack) if old else (NEW_TWO_HOPS, NEW_UNPACK)
    gs.GraphStore._read = old_read if old else NEW_READ


def main(argv: list[str]) -> None:
    folder, count, passes = Path(argv[0]), int(argv[1]), int(argv[2])
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    s = get_settings()
    sparse = build_sparse_encoder(s.sparse_encoder)
    pool = SentencePool.load(Path("/work/shared/eval"))
    retriever = bench_retriever(folder, sparse, s)
    queries = _queries(pool, count)
    times: dict[str, list[float]] = {"hybrid": [], "graph, main's path": [], "graph, this branch": []}
    if "--split" in argv:
        times["graph, overlap only"] = []
    differ = [0]

    def run_one(way: str, i: int, query: str):
        f = _kb_filter(i)
        started = time.perf_counter()
        if way == "hybrid":
            found = retriever.retrieve(query, f, 10, RetrievalMode.HYBRID_RERANK).hits
        elif way == "graph, main's path":
            use(old=True)
            n = max(retriever.config.candidates_per_retriever, 10)
            candidates = retriever.candidates(query, f, n, RetrievalMode.GRAPH)
            found = retriever.rank(query, candidates, RetrievalMode.GRAPH, 10)[:10]
        else:
            use(old=way == "graph, overlap only")
            found = retriever.retrieve(query, f, 10, RetrievalMode.GRAPH).hits
        ms = (time.perf_counter() - started) * 1000
        use(old=False)
        return ms, [h.chunk_id for h in found]

    def run() -> list[float]:
        ways = list(times)
        for i, query in enumerate(queries[:5]):
            for way in ways:
                run_one(way, i, query)
        for p in range(passes):
            for i, query in enumerate(queries):
                order = ways[(i + p) % len(ways):] + ways[:(i + p) % len(ways)]
                ids = {}
                for way in order:
                    ms, ids[way] = run_one(way, i, query)
                    times[way].append(ms)
                differ[0] += any(ids[w] != ids["graph, this branch"] for w in ids if w.startswith("graph"))
        return []

    _with_graph(folder, retriever, s, run)
    retriever.store.close()
    result = {way: _percentiles(v) for way, v in times.items()}
    hybrid = result["hybrid"]
    for way in [w for w in times if w.startswith("graph")]:
        result[way]["p95_ratio"] = round(result[way]["p95"] / hybrid["p95"], 2)
        result[way]["p50_ratio"] = round(result[way]["p50"] / hybrid["p50"], 2)
    result["queries"] = len(times["hybrid"])
    result["graph_paths_with_different_ids"] = differ[0]
    print(json.dumps(result, ensure_ascii=False))
    if out:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
