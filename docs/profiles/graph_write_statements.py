"""GraphStore.write_documents per statement at several documents-per-write, the same facts (cached), a fresh server each:
    python docs/profiles/graph_write_statements.py <chunks> <docs per write,...>"""
import json, pickle, sys, time, shutil
from collections import defaultdict
from pathlib import Path
from neo4j import GraphDatabase
from neo4j._sync.work.transaction import ManagedTransaction
from zhiku.core.settings import get_settings
from zhiku.evaluation import search_benchmark as sb
from zhiku.graph.bolt_server import EmbeddedBoltServer
from zhiku.graph.graph_store import GraphStore, DocumentFacts
from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
N = int(sys.argv[1]); sizes = [int(x) for x in sys.argv[2].split(",")]
cache = Path(f"/tmp/s23gw_facts_{N}.pkl")
if cache.exists():
    docs = pickle.loads(cache.read_bytes())
else:
    s = get_settings()
    sb._WORK.update(pool=sb.SentencePool.load(Path('/work/shared/eval')), extractor=make_extractor(s), resolvers=make_resolver_factory(s), size=N)
    docs = [sb._document_facts(d) for d in range(0, N, 40)]
    cache.write_bytes(pickle.dumps(docs))
spent = defaultdict(float)
original = ManagedTransaction.run
def run(self, query, *a, **k):
    t = time.perf_counter(); r = original(self, query, *a, **k)
    try: r.consume() if False else None
    finally: pass
    spent[query.strip().splitlines()[1][:40] if "\n" in query.strip() else query[:40]] += time.perf_counter() - t
    return r
ManagedTransaction.run = run
for per in sizes:
    folder = Path(f"/tmp/s23gw_{per}"); shutil.rmtree(folder, ignore_errors=True)
    server = EmbeddedBoltServer(folder, heap="1g"); info = server.start()
    driver = GraphDatabase.driver(info.uri, auth=server.auth())
    store = GraphStore(driver, info.database); store.ensure_schema()
    spent.clear(); t = time.perf_counter(); marks = []
    for i in range(0, len(docs), per):
        store.write_documents([DocumentFacts(k, d, "v1", f) for k, d, f in docs[i:i + per]])
        marks.append(round(time.perf_counter() - t, 1))
    total = time.perf_counter() - t
    driver.close(); server.stop(); shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps({"docs_per_write": per, "chunks": N, "seconds": round(total, 1), "chunks_per_s": round(N / total, 1),
                      "marks": marks[:: max(1, len(marks) // 10)],
                      "by_statement_s": {k: round(v, 1) for k, v in sorted(spent.items(), key=lambda x: -x[1])}}, ensure_ascii=False), flush=True)
