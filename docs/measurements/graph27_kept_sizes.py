"""How large the entities' kept lists would be with their relations' chunk lists kept beside them (issue #14 point 5,
session 27): per entity, the chunk ids its kept relations' facts keep (each fact's first SUPPORT_KEPT), with every
relation's chunks kept, or only those of relations supported by at most K chunks (the rest read from their facts).

    python docs/measurements/graph27_kept_sizes.py /tmp/s27g/10000
"""
import statistics
import sys
from pathlib import Path

from neo4j import GraphDatabase

from zhiku.core.settings import get_settings
from zhiku.graph.bolt_server import EmbeddedBoltServer

folder = Path(sys.argv[1])
server = EmbeddedBoltServer(folder / "graph", heap="1g", jit=get_settings().graph_jit)
info = server.start()
driver = GraphDatabase.driver(info.uri, auth=server.auth())
try:
    with driver.session(database=info.database) as session:
        support = {r["k"]: (r["s"], len(r["c"] or [])) for r in session.run(
            "MATCH (f:Fact) RETURN f.key AS k, f.support AS s, f.support_chunks AS c")}
        kept = [list(r["r"] or []) for r in session.run("MATCH (e:Entity) RETURN e.kept_rkey AS r")]
        chunk_len = [len(r["c"]) for r in session.run("MATCH (c:Chunk) RETURN c.chunk_id AS c LIMIT 2000")]
        doc_len = [len(r["d"]) for r in session.run("MATCH (c:Chunk) RETURN c.document_id AS d LIMIT 2000")]
finally:
    driver.close()
    server.stop()
sup = sorted(s for s, _ in support.values())
print(f"facts {len(sup)}: support p50 {sup[len(sup) // 2]} p90 {sup[int(len(sup) * .9)]} p99 {sup[int(len(sup) * .99)]} "
      f"max {sup[-1]}; chunk id {statistics.mean(chunk_len):.1f} chars, document id {statistics.mean(doc_len):.1f}")
kept_sup = sorted(support[k][0] for rel in kept for k in rel)
print(f"kept relation entries {len(kept_sup)}: support p50 {kept_sup[len(kept_sup) // 2]} p90 "
      f"{kept_sup[int(len(kept_sup) * .9)]} p99 {kept_sup[int(len(kept_sup) * .99)]}")
for bound in (100, 20, 10, 5, 3):
    sizes = sorted(sum(support[k][1] for k in rel if support[k][0] <= bound) for rel in kept)
    over = sum(support[k][0] > bound for rel in kept for k in rel)
    print(f"K={bound}: chunk ids kept on an entity p50 {sizes[len(sizes) // 2]} p99 {sizes[int(len(sizes) * .99)]} "
          f"p99.9 {sizes[int(len(sizes) * .999)]} max {sizes[-1]}; kept entries read from their fact {over} "
          f"({over / len(kept_sup):.1%})")
