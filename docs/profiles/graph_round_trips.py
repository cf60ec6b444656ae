"""Graph mode's evidence (linking + expansion) per query, and every query it sent the graph server, timed and labelled
by its first words: `python docs/profiles/graph_round_trips.py <store built by zhiku bench search> 200 2` (200
questions, two passes in one process: the second shows the server warm). Issue #14 point 5, branch s21-graph14."""
import collections, statistics, sys, time, re
from pathlib import Path
from neo4j import GraphDatabase
from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import KNOWLEDGE_BASES, SentencePool, _queries
from zhiku.graph.bolt_server import EmbeddedBoltServer
from zhiku.graph.entity_linker import EntityLinker
from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
from zhiku.graph.graph_store import GraphStore
from zhiku.retrieval.graph_expansion import GraphExpander, GraphRetrievalConfig

folder, count, passes = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1
s = get_settings()
pool = SentencePool.load(Path("/work/shared/eval"))
server = EmbeddedBoltServer(folder / "graph", heap="1g")
info = server.start()
driver = GraphDatabase.driver(info.uri, auth=server.auth())
store = GraphStore(driver, info.database)
linker = EntityLinker(store, make_extractor(s), make_resolver_factory(s)(""))
linker.name_index.wait_loaded([f"kb{k:02d}" for k in range(KNOWLEDGE_BASES)], timeout=600)
expander = GraphExpander(store, linker, GraphRetrievalConfig(max_hops=s.graph_max_hops, fan_out_cap=s.graph_fan_out_cap))
reads = []
original = store._read
def label(cypher):
    words = " ".join(cypher.split())[:70]
    return words
def timed(cypher, **params):
    t = time.perf_counter()
    rows = original(cypher, **params)
    reads.append((label(cypher), (time.perf_counter() - t) * 1000, len(rows)))
    return rows
store._read = timed
queries = _queries(pool, count)
for p in range(passes):
    per_label = collections.defaultdict(list)
    total, link_ms, n_rt, seeds = [], [], [], []
    for i, q in enumerate(queries):
        kbs = [f"kb{i % KNOWLEDGE_BASES:02d}"]
        reads.clear()
        t0 = time.perf_counter()
        linked = linker.link(kbs, q, limit=10)
        t1 = time.perf_counter()
        reads.clear()
        t2 = time.perf_counter()
        ev = expander.evidence(q, kbs)
        t3 = time.perf_counter()
        total.append((t3 - t2) * 1000); link_ms.append((t1 - t0) * 1000); n_rt.append(len(reads)); seeds.append(len(ev.linked))
        for lab, ms, n in reads:
            per_label[lab].append(ms)
    def pc(v):
        v = sorted(v); return f"p50 {statistics.median(v):.1f} p95 {v[int(.95*len(v))]:.1f} max {v[-1]:.1f} n {len(v)}"
    print(f"pass {p}: evidence {pc(total)}; link alone {pc(link_ms)}; round trips {pc(n_rt)}; seeds {pc(seeds)}")
    for lab, v in sorted(per_label.items(), key=lambda kv: -sum(kv[1])):
        print(f"   {sum(v):8.0f} ms  {pc(v)}  {lab}")
    worst = sorted(range(len(total)), key=lambda i: -total[i])[:8]
    print("   slowest:", [(i, round(total[i], 1), n_rt[i], seeds[i]) for i in worst])
driver.close(); server.stop()
