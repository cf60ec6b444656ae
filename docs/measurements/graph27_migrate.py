"""Times the migrations a bench store's graph needs for this code (`GraphStore.ensure_schema`'s order: the facts' chunk
lists, the entities' kept relations, then the entities' kept chunks — `ensure_kept_chunks`, new in session 27), with
the store's own Bolt server; each already marked is 0 updated at once. A second `ensure_kept_chunks` shows the mark.

    python docs/measurements/graph27_migrate.py /tmp/s27g/10000        # or /work/benchdata/search/100000
"""
import sys
import time
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
    for name in ("ensure_fact_chunks", "ensure_kept_relations", "ensure_kept_chunks", "ensure_kept_chunks"):
        t = time.perf_counter()
        updated = getattr(store, name)()
        seconds = time.perf_counter() - t
        print(f"{name}: {updated} updated in {seconds:.1f} s" + (f" ({updated / seconds:,.0f} a second)" if updated else ""))
finally:
    driver.close()
    server.stop()
