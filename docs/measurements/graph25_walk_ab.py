"""The walk with the second hop's chunks read by a query of their own (two Bolt reads) or inside the walk's query
(one), query by query (issue #14 point 5, session 25). Each of the benchmark's queries runs its graph evidence
(linking + walk) both ways back to back, the order turned at every query, `passes` times; the two ways' evidence
(linked entities, every chunk's score, the subgraph's relations and their provenance) is compared on every query.

    python docs/measurements/graph25_walk_ab.py /tmp/s25g/10000 200 2 [--out result.json]
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


def fingerprint(evidence) -> tuple:
    sub = evidence.subgraph
    return ([(e.key, e.how, e.score) for e in evidence.linked], sorted(evidence.chunk_scores.items()),
            None if sub is None else (
                [(p.entity_keys, p.relation_keys) for p in sub.paths],
                sorted((k, r.provenance.chunk_ids, r.provenance.document_ids, r.provenance.total, r.support)
                       for k, r in sub.relations.items()),
                sorted((k, e.name, tuple(e.aliases), e.type, e.mentions) for k, e in sub.entities.items())),
            sorted((k, sorted(v)) for k, v in evidence.bridges.items()),
            sorted((k, sorted(v)) for k, v in evidence.earlier.items()), sorted(evidence.joining))


def main(argv: list[str]) -> None:
    folder, count, passes = Path(argv[0]), int(argv[1]), int(argv[2])
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    s = get_settings()
    retriever = bench_retriever(folder, build_sparse_encoder(s.sparse_encoder), s)
    queries = _queries(SentencePool.load(Path("/work/shared/eval")), count)
    ways = {"two reads": False, "one read": True}
    times: dict[str, list[float]] = {w: [] for w in ways}
    differ = [0]

    def run() -> list[float]:
        for i, query in enumerate(queries[:5]):
            retriever.graph.evidence(query, _kb_filter(i).kb_ids)
        for p in range(passes):
            for i, query in enumerate(queries):
                seen = {}
                for w in (list(ways) if (i + p) % 2 else list(ways)[::-1]):
                    gs.WALK_CHUNKS_IN_ONE_QUERY = ways[w]
                    started = time.perf_counter()
                    evidence = retriever.graph.evidence(query, _kb_filter(i).kb_ids)
                    times[w].append((time.perf_counter() - started) * 1000)
                    seen[w] = fingerprint(evidence)
                if seen["two reads"] != seen["one read"]:
                    differ[0] += 1
        gs.WALK_CHUNKS_IN_ONE_QUERY = False
        return []

    _with_graph(folder, retriever, s, run)
    retriever.store.close()
    result = {w: _percentiles(v) for w, v in times.items()} | {"queries_whose_evidence_differs": differ[0],
                                                                "searches": passes * len(queries)}
    print(json.dumps(result, indent=1))
    if out:
        out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
