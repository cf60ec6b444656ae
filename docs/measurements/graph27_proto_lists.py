"""Prototype lists for graph27_walk_prototypes.py: every entity's kept relations' chunks (support <= K) flattened on
its node (`kept_chunk`, `kept_document`, `kept_from`), computed in Python from the facts' kept lists (session 27).

    python docs/measurements/graph27_proto_lists.py /tmp/s27g/10000 10
"""
import sys, time
from pathlib import Path
from neo4j import GraphDatabase
from zhiku.core.settings import get_settings
from zhiku.graph.bolt_server import EmbeddedBoltServer
folder, K = Path(sys.argv[1]), int(sys.argv[2])
server = EmbeddedBoltServer(folder / "graph", heap="1g", jit=get_settings().graph_jit)
info = server.start()
driver = GraphDatabase.driver(info.uri, auth=server.auth())
t = time.perf_counter()
try:
    with driver.session(database=info.database) as session:
        facts = {r["k"]: (r["s"], list(r["c"] or []), list(r["d"] or [])) for r in session.run(
            "MATCH (f:Fact) RETURN f.key AS k, f.support AS s, f.support_chunks AS c, f.support_documents AS d")}
        ents = [(r["k"], list(r["r"] or [])) for r in session.run("MATCH (e:Entity) RETURN e.key AS k, e.kept_rkey AS r")]
        rows = []
        for k, rel in ents:
            ch, do, fr = [], [], [0]
            for rk in rel:
                s, c, d = facts[rk]
                if s <= K:
                    ch += c; do += d
                fr.append(len(ch))
            rows.append({"key": k, "c": ch, "d": do, "f": fr})
        for i in range(0, len(rows), 2000):
            session.execute_write(lambda tx, b=rows[i:i+2000]: tx.run(
                "UNWIND $rows AS row MATCH (e:Entity {key: row.key}) SET e.kept_chunk = row.c, e.kept_document = row.d, e.kept_from = row.f",
                rows=b).consume())
    print("set", len(rows), "entities in", round(time.perf_counter() - t, 1), "s")
finally:
    driver.close(); server.stop()
