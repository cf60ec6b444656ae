"""Where graph mode's time goes, per step, on a store built by `zhiku bench search` (with its graph):
`python docs/profiles/graph_split.py /work/benchdata/search/10000 200`. Times the linker (candidates, exact
lookup, fuzzy lookups), the expansion and the Bolt round trips, per query."""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from neo4j import GraphDatabase

from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import KNOWLEDGE_BASES, SentencePool, _queries
from zhiku.graph.bolt_server import EmbeddedBoltServer
from zhiku.graph.entity_linker import EntityLinker
from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
from zhiku.graph.graph_store import GraphStore
from zhiku.retrieval.graph_expansion import GraphExpander, GraphRetrievalConfig


def main(folder: Path, count: int) -> None:
    s = get_settings()
    pool = SentencePool.load(Path("/work/shared/eval"))
    server = EmbeddedBoltServer(folder / "graph", heap="1g")
    info = server.start()
    driver = GraphDatabase.driver(info.uri, auth=server.auth())
    try:
        store = GraphStore(driver, info.database)
        linker = EntityLinker(store, make_extractor(s), make_resolver_factory(s)(""))
        linker.name_index.wait_loaded([f"kb{k:02d}" for k in range(KNOWLEDGE_BASES)], timeout=600)
        expander = GraphExpander(store, linker, GraphRetrievalConfig(max_hops=s.graph_max_hops,
                                                                     fan_out_cap=s.graph_fan_out_cap))
        reads = [0]
        original = store._read

        def counted(cypher, **params):
            reads[0] += 1
            return original(cypher, **params)

        store._read = counted
        steps: dict[str, list[float]] = {"candidates": [], "link": [], "evidence": [], "round trips": []}
        queries = _queries(pool, count)
        for i, query in enumerate(queries):
            kbs = [f"kb{i % KNOWLEDGE_BASES:02d}"]
            t0 = time.perf_counter()
            linker.candidates(query)
            t1 = time.perf_counter()
            linker.link(kbs, query, limit=10)
            t2 = time.perf_counter()
            reads[0] = 0
            expander.evidence(query, kbs)
            t3 = time.perf_counter()
            steps["candidates"].append((t1 - t0) * 1000)
            steps["link"].append((t2 - t1) * 1000)
            steps["evidence"].append((t3 - t2) * 1000)
            steps["round trips"].append(reads[0])
        for name, values in steps.items():
            ordered = sorted(values)
            print(f"{name}: p50 {statistics.median(ordered):.1f} p95 {ordered[int(0.95 * len(ordered))]:.1f} "
                  f"mean {statistics.fmean(ordered):.1f}")
    finally:
        driver.close()
        server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
