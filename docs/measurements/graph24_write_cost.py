"""What keeping each entity's best relations costs the service's graph write path (issue #14 point 5, session 24).

    python docs/measurements/graph24_write_cost.py /tmp/s24w 50 [--out result.json]

The benchmark corpus's first `documents` documents of one knowledge base (40 chunks each, rule extraction and the
knowledge base's resolver, as `zhiku bench search` builds its graph: its hubs grow as documents are added) are written
one document a write (`GraphStore.write_chunk_facts`, as the service writes them) into two knowledge bases of one fresh
local server, alternating: one with the kept lists maintained (`_refresh_kept`), one without (a no-op). Then every
document is written again as a new version, then every other one deleted, alternating the same way. Wall time per
write, summed and p50/p95 per phase (the machine's load printed alongside). At the end, every entity's kept lists (the
maintained knowledge base) are compared with its 50 best relations read from its edges.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from neo4j import GraphDatabase

from zhiku.core.settings import get_settings
from zhiku.evaluation import search_benchmark as sb
from zhiku.graph.bolt_server import EmbeddedBoltServer
from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
from zhiku.graph.graph_store import KEPT_RELATIONS, GraphStore


def main(argv: list[str]) -> None:
    folder, count = Path(argv[0]), int(argv[1])
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    settings = get_settings()
    pool = sb.SentencePool.load(Path("/work/shared/eval"))
    size = count * sb.CHUNKS_PER_DOCUMENT * sb.KNOWLEDGE_BASES
    sb._WORK.update(pool=pool, extractor=make_extractor(settings), resolvers=make_resolver_factory(settings), size=size)
    starts = [d * sb.CHUNKS_PER_DOCUMENT * sb.KNOWLEDGE_BASES for d in range(count)]  # knowledge base kb00's
    documents = [sb._document_facts(start) for start in starts]
    shutil.rmtree(folder, ignore_errors=True)
    server = EmbeddedBoltServer(folder, heap="1g")
    info = server.start()
    driver = GraphDatabase.driver(info.uri, auth=server.auth())
    times: dict[str, dict[str, list[float]]] = {"kept lists": {}, "without": {}}
    refresh = GraphStore._refresh_kept
    try:
        store = GraphStore(driver, info.database)
        store.ensure_schema()

        def timed(way: str, phase: str, write) -> None:
            GraphStore._refresh_kept = staticmethod(refresh if way == "kept lists" else lambda tx, keys: None)
            started = time.perf_counter()
            write(store)
            times[way].setdefault(phase, []).append((time.perf_counter() - started) * 1000)

        for phase, version in (("write", 1), ("re-ingest", 2)):
            for i, (_, document_id, facts) in enumerate(documents):
                for way in (("kept lists", "without") if i % 2 else ("without", "kept lists")):
                    kb = "A" if way == "kept lists" else "B"
                    timed(way, phase, lambda s: s.write_chunk_facts(kb, f"{kb}-{document_id}", version, facts))
        for i, (_, document_id, _) in enumerate(documents[::2]):
            for way in (("kept lists", "without") if i % 2 else ("without", "kept lists")):
                kb = "A" if way == "kept lists" else "B"
                timed(way, "delete", lambda s: s.remove_document(f"{kb}-{document_id}"))
        GraphStore._refresh_kept = refresh
        # every entity's lists after all that, against its 50 best read from its edges (must be equal)
        lists = {r["key"]: list(zip(r["rkey"], r["support"])) for r in store._read(
            "MATCH (e:Entity) WHERE e.kb_id = 'A' RETURN e.key AS key, e.kept_rkey AS rkey, e.kept_support AS support")}
        edges: dict = {}
        for r in store._read("MATCH (e:Entity)-[r:RELATES]-(:Entity) WHERE e.kb_id = 'A' "
                             "RETURN e.key AS key, r.key AS rkey, r.support AS support"):
            edges.setdefault(r["key"], []).append((r["rkey"], r["support"]))
        differ = sum(lists[k] != sorted(edges.get(k, []), key=lambda e: (-e[1], e[0]))[:KEPT_RELATIONS] for k in lists)
        hubs = store._read("MATCH (e:Entity) WHERE e.kb_id = 'A' RETURN COUNT { (e)-[:RELATES]-() } AS d "
                           "ORDER BY d DESC LIMIT 3")
    finally:
        GraphStore._refresh_kept = refresh
        driver.close()
        server.stop()
    result = {way: {phase: {"writes": len(v), "total_s": round(sum(v) / 1000, 2)} | sb._percentiles(v)
                    for phase, v in phases.items()} for way, phases in times.items()}
    result["documents"] = count
    result["chunks"] = sum(len(f) for _, _, f in documents)
    result["largest_degrees_left"] = [r["d"] for r in hubs]
    result["entities_checked"], result["entities_whose_lists_differ_from_their_edges"] = len(lists), differ
    result["load_average"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if out:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
