"""A bench graph's content, per knowledge base, to check two builds made the same graph:
    python docs/profiles/graph_fingerprint.py <size folder, e.g. /work/benchdata/search/10000>
Per kb: entities, chunks, facts, aliases, MENTIONED_IN / SUPPORTED_BY / RELATES / ALIAS_OF edges, the sums of
`mentions` and `support`, and a sha1 of every entity's (key, name, type, sorted aliases, mentions) and every
fact's (key, type, subject, object, support)."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from neo4j import GraphDatabase

from zhiku.graph.bolt_server import EmbeddedBoltServer

folder = Path(sys.argv[1])
server = EmbeddedBoltServer(folder / "graph", heap="1g")
info = server.start()
driver = GraphDatabase.driver(info.uri, auth=server.auth())
out = {}
try:
    with driver.session(database=info.database) as session:
        def one(cypher, **params):
            return session.run(cypher, **params).single()[0]

        kbs = sorted(r["kb"] for r in session.run("MATCH (e:Entity) RETURN DISTINCT e.kb_id AS kb"))
        for kb in kbs:
            row = {
                "entities": one("MATCH (e:Entity) WHERE e.kb_id = $kb RETURN count(e)", kb=kb),
                "chunks": one("MATCH (c:Chunk) WHERE c.kb_id = $kb RETURN count(c)", kb=kb),
                "facts": one("MATCH (f:Fact) WHERE f.kb_id = $kb RETURN count(f)", kb=kb),
                "aliases": one("MATCH (a:Alias) WHERE a.kb_id = $kb RETURN count(a)", kb=kb),
                "mentioned_in": one("MATCH (e:Entity)-[m:MENTIONED_IN]->(:Chunk) WHERE e.kb_id = $kb "
                                    "RETURN count(m)", kb=kb),
                "supported_by": one("MATCH (f:Fact)-[s:SUPPORTED_BY]->(:Chunk) WHERE f.kb_id = $kb "
                                    "RETURN count(s)", kb=kb),
                "relates": one("MATCH (:Entity)-[r:RELATES]->(:Entity) WHERE r.kb_id = $kb RETURN count(r)", kb=kb),
                "alias_of": one("MATCH (a:Alias)-[x:ALIAS_OF]->(:Entity) WHERE a.kb_id = $kb RETURN count(x)", kb=kb),
                "sum_mentions": one("MATCH (e:Entity) WHERE e.kb_id = $kb RETURN sum(e.mentions)", kb=kb),
                "sum_support": one("MATCH (f:Fact) WHERE f.kb_id = $kb RETURN sum(f.support)", kb=kb),
            }
            entities = sorted((r["k"], r["n"], r["t"], sorted(r["a"] or []), r["m"]) for r in session.run(
                "MATCH (e:Entity) WHERE e.kb_id = $kb RETURN e.key AS k, e.name AS n, e.type AS t, e.aliases AS a, "
                "e.mentions AS m", kb=kb))
            facts = sorted((r["k"], r["t"], r["s"], r["o"], r["n"]) for r in session.run(
                "MATCH (f:Fact) WHERE f.kb_id = $kb RETURN f.key AS k, f.type AS t, f.subject_key AS s, "
                "f.object_key AS o, f.support AS n", kb=kb))
            row["entities_sha1"] = hashlib.sha1(json.dumps(entities, ensure_ascii=False).encode()).hexdigest()
            row["facts_sha1"] = hashlib.sha1(json.dumps(facts, ensure_ascii=False).encode()).hexdigest()
            out[kb] = row
finally:
    driver.close()
    server.stop()
print(json.dumps(out, ensure_ascii=False, sort_keys=True))
