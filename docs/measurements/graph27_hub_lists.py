"""The server CPU of reading one entity node's kept chunk lists (51 relations, 1 or 100 chunk ids each), sliced 21 times
by `m.kept_chunk[...]` (every access decodes the list again) or with the list bound to a name once (session 27: why
the lists are bound once and why an entity keeps the chunks of relations stated in at most KEPT_CHUNK_SUPPORT
chunks). Writes and deletes two test nodes (kb_id hubtest).

    python docs/measurements/graph27_hub_lists.py /tmp/s27g/10000
"""
import sys, time, statistics, psutil
from pathlib import Path
from neo4j import GraphDatabase
from zhiku.core.settings import get_settings
from zhiku.graph.bolt_server import EmbeddedBoltServer
def server_cpu():
    for c in psutil.Process().children(recursive=True):
        if c.name() == "java":
            t = c.cpu_times(); return t.user + t.system
folder = Path(sys.argv[1])
server = EmbeddedBoltServer(folder / "graph", heap="1g", jit=get_settings().graph_jit)
info = server.start()
driver = GraphDatabase.driver(info.uri, auth=server.auth())
Q2 = "UNWIND $keys AS k MATCH (m:Entity {key: k}) WITH m, m.kept_chunk AS kc, m.kept_from AS kf RETURN [j IN range(0, 20) | kc[kf[j]..kf[j + 1]][..100]] AS c, m.name AS name"
Q = "UNWIND $keys AS k MATCH (m:Entity {key: k}) RETURN [j IN range(0, 20) | m.kept_chunk[m.kept_from[j]..m.kept_from[j + 1]][..100]] AS c, m.name AS name"
try:
    with driver.session(database=info.database) as s:
        for size in (1, 100):  # chunks per relation, 51 relations
            ch = [f"{i:036d}" for i in range(51 * size)]
            s.run("MERGE (e:Entity {key: $k}) SET e.kb_id = 'hubtest', e.name = 'x', e.kept_chunk = $c, e.kept_document = $d, e.kept_from = $f",
                  k=f"hubtest{size}", c=ch, d=[f"doc{i // 7:06d}" for i in range(len(ch))], f=list(range(0, 51 * size + 1, size))).consume()
        for rep in range(2):
            for size in (1, 100):
                keys = [f"hubtest{size}"] * 20
                c0 = server_cpu(); t = time.perf_counter()
                for _ in range(50):
                    s.run(Q, keys=keys).consume()
                print(f"per-j access {size} chunks/relation: {(server_cpu() - c0) * 1000 / 50 / 20:.3f} ms server CPU per node read, wall {(time.perf_counter() - t) * 1000 / 50:.1f} ms/query of 20")
            for size in (1, 100):
                keys = [f"hubtest{size}"] * 20
                c0 = server_cpu(); t = time.perf_counter()
                for _ in range(50):
                    s.run(Q2, keys=keys).consume()
                print(f"bound once {size} chunks/relation: {(server_cpu() - c0) * 1000 / 50 / 20:.3f} ms server CPU per node read, wall {(time.perf_counter() - t) * 1000 / 50:.1f} ms/query of 20")
        s.run("MATCH (e:Entity) WHERE e.kb_id = 'hubtest' DELETE e").consume()
finally:
    driver.close(); server.stop()
