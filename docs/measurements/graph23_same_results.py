"""Graph mode's results, query by query, to compare two versions of the code (issue #14 point 5, s23-graphp95).

    python docs/measurements/graph23_same_results.py dump /tmp/bench23g/10000 200 before.json
    python docs/measurements/graph23_same_results.py compare before.json after.json

`dump` runs the benchmark's 200 queries in graph mode through `evaluation/search_benchmark.py`'s code path
(`_with_graph`, the same retriever, queries and knowledge-base filters, top 10) and writes, per query: the returned
chunk ids in order, their scores, and the graph's evidence (linked entities, every graph chunk's score). The graph
wait is unbounded here (`timeout_seconds=None`), so a slow moment of the machine cannot drop the graph from one run.
`compare` exits 1 unless every query's chunk ids and order are the same (and reports any difference in scores or
evidence).
"""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path


def dump(folder: Path, count: int, out: Path) -> None:
    from zhiku.core.settings import get_settings
    from zhiku.evaluation.search_benchmark import (bench_retriever, SentencePool, _kb_filter,
                                                   _queries, _with_graph)
    from zhiku.index.sparse_encoder import build_sparse_encoder
    from zhiku.retrieval.hybrid_retriever import RetrievalMode

    s = get_settings()
    sparse = build_sparse_encoder(s.sparse_encoder)
    pool = SentencePool.load(Path("/work/shared/eval"))
    retriever = bench_retriever(folder, sparse, s)
    queries = _queries(pool, count)
    rows = []

    def run() -> list[float]:
        retriever.graph.config = replace(retriever.graph.config, timeout_seconds=None)
        for i, query in enumerate(queries):
            found = retriever.retrieve(query, _kb_filter(i), 10, RetrievalMode.GRAPH)
            g = found.graph
            rows.append({"i": i, "query": query, "ids": [h.chunk_id for h in found.hits],
                         "scores": [round(h.score, 6) for h in found.hits],
                         "graph_scores": [None if h.scores.graph is None else round(h.scores.graph, 6)
                                          for h in found.hits],
                         "linked": None if g is None else [(e.key, e.how, e.score) for e in g.linked],
                         "chunk_scores": None if g is None else {k: round(v, 6) for k, v in sorted(g.chunk_scores.items())}})
        return []

    _with_graph(folder, retriever, s, run)
    retriever.store.close()
    out.write_text(json.dumps(rows, ensure_ascii=False))
    print(f"{len(rows)} queries written to {out}; with graph chunks in the top 10: "
          f"{sum(any(x is not None for x in r['graph_scores']) for r in rows)}")


def compare(a: Path, b: Path) -> int:
    left, right = json.loads(a.read_text()), json.loads(b.read_text())
    assert len(left) == len(right), (len(left), len(right))
    ids = scores = evidence = 0
    for x, y in zip(left, right):
        assert x["query"] == y["query"]
        if x["ids"] != y["ids"]:
            ids += 1
            print(f"query {x['i']}: ids differ\n  {x['ids']}\n  {y['ids']}")
        elif x["scores"] != y["scores"] or x["graph_scores"] != y["graph_scores"]:
            scores += 1
            print(f"query {x['i']}: same ids, scores differ")
        if x["linked"] != y["linked"] or x["chunk_scores"] != y["chunk_scores"]:
            evidence += 1
            print(f"query {x['i']}: graph evidence differs")
    graphed = sum(any(g is not None for g in r["graph_scores"]) for r in left)
    print(f"{len(left)} queries ({graphed} with a graph chunk in the top 10): ids/order differ in {ids}, "
          f"scores in {scores}, graph evidence in {evidence}")
    return 1 if ids else 0


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
    else:
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
