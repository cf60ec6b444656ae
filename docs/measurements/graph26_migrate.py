"""Times the migrations of a bench store's graph (`GraphStore.ensure_kept_relations`, then `ensure_fact_chunks`: every
fact's first SUPPORT_KEPT chunks), with the store's own Bolt server; a second call shows the mark (0 updated).

    python docs/measurements/graph26_migrate.py /tmp/s26g/10000        # or /work/benchdata/search/100000
"""
import sys, time
from pathlib import Path
from neo4j import GraphDatabase
from zhiku.core.settings import get_settings
from zhiku.graph.bolt_server import EmbeddedBoltServer
from zhiku.graph.graph_store import GraphStore
folder = Path(sys.argv[1])
server = EmbeddedBoltServer(folder / "graph", heap="1g", jit=get_settings().graph_jit)
info = server.start()
driver = GraphDatabase.driver(info.uri, auth=server.auth())
try:
    store = GraphStore(driver, info.database)
    t = time.perf_counter(); k = store.ensure_kept_relations(); print("kept relations", k, round(time.perf_counter() - t, 1), "s")
    t = time.perf_counter(); n = store.ensure_fact_chunks(); print("fact chunks", n, round(time.perf_counter() - t, 1), "s")
    t = time.perf_counter(); n2 = store.ensure_fact_chunks(); print("again", n2, round(time.perf_counter() - t, 2), "s")
finally:
    driver.close(); server.stop()
