"""One-off check (issue #14 item 6, fourth sitting): the graph that main 91bc086 writes one document per transaction equals
the one this branch writes 4 documents per transaction, on 100 rgb_zh passages then 10 of them replaced by new versions
(written together). Run `PYTHONPATH=<main code> python ingest21_graph_equivalence.py old`, then `... new` without it,
and compare /tmp/i21/dump-{old,new}.json. 2026-12-06 22:04 UTC: equal in every part (409 entities, 374 facts, 787
mentions, 462 supports, 433 aliases, 100 chunks)."""
import json, sys, tempfile, shutil, os
from pathlib import Path
from neo4j import GraphDatabase
from zhiku.core.settings import Settings
from zhiku.graph.bolt_server import EmbeddedBoltServer
from zhiku.graph.graph_store import GraphStore
from zhiku.graph.graph_builder import GraphBuilder
from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker
from zhiku.ingest.parsing import parse_document
from zhiku.index.indexer import DocumentRef
import zhiku.graph.graph_store as gs
print(gs.__file__)
mode = sys.argv[1]
s = Settings()
ch = StructuredChunker(ChunkingConfig(s.chunk_size, s.chunk_overlap, s.parent_chunk_size))
items = []
for line in open("/work/shared/eval/rgb_zh/corpus.jsonl", encoding="utf-8"):
    row = json.loads(line)
    if not row["text"].strip(): continue
    i = len(items)
    chunks = ch.chunk(parse_document((((row.get("title") or "") + "\n\n" + row["text"]).strip()).encode(), "d.txt")[1])
    items.append((DocumentRef("kb1", f"doc{i}", f"v{i}", "d.txt", "txt", ["*"]), chunks))
    if len(items) == 120: break
root = Path(tempfile.mkdtemp())
srv = EmbeddedBoltServer(root); info = srv.start()
d = GraphDatabase.driver(info.uri, auth=srv.auth())
store = GraphStore(d, info.database); store.ensure_schema()
b = GraphBuilder(store, make_extractor(s), make_resolver_factory(s))
if mode == "old":
    for ref, chunks in items[:100]: b.build(ref, chunks)
    # replace 10 documents with new versions (other text) one by one
    for k in range(10):
        ref, _ = items[k]; _, other = items[100 + k]
        b.build(DocumentRef("kb1", ref.document_id, "w", "d.txt", "txt", ["*"]), other)
else:
    for i in range(0, 100, 4): b.build_many(items[i:i+4])
    b.build_many([(DocumentRef("kb1", items[k][0].document_id, "w", "d.txt", "txt", ["*"]), items[100 + k][1]) for k in range(10)])
def _dump(store: GraphStore, kb: str) -> dict:
    """The knowledge base's graph without its keys (they hash the knowledge base id): comparable across kbs."""
    entities = store._read("MATCH (e:Entity) WHERE e.kb_id = $kb RETURN e.key AS key, e.type AS type, e.name AS name, "
                           "e.aliases AS aliases, e.names_norm AS norms, e.mentions AS mentions", kb=kb)
    names = {e["key"]: (e["type"], e["name"]) for e in entities}
    facts = store._read("MATCH (f:Fact) WHERE f.kb_id = $kb MATCH (s:Entity)-[r:RELATES {key: f.key}]->(o:Entity) "
                        "RETURN s.key AS s, f.type AS type, o.key AS o, f.support AS support, r.support AS rsupport",
                        kb=kb)
    mentions = store._read("MATCH (e:Entity)-[m:MENTIONED_IN]->(c:Chunk) WHERE c.kb_id = $kb "
                           "RETURN e.key AS e, c.document_id AS d, c.chunk_id AS c, c.version AS v, m.names AS names",
                           kb=kb)
    supports = store._read("MATCH (f:Fact)-[:SUPPORTED_BY]->(c:Chunk) WHERE c.kb_id = $kb "
                           "RETURN f.type AS type, c.chunk_id AS c", kb=kb)
    aliases = store._read("MATCH (a:Alias)-[:ALIAS_OF]->(e:Entity) WHERE a.kb_id = $kb RETURN a.norm AS norm, e.key AS e",
                          kb=kb)
    chunks = store._read("MATCH (c:Chunk) WHERE c.kb_id = $kb RETURN c.document_id AS d, c.chunk_id AS c, "
                         "c.version AS v", kb=kb)
    return {
        "entities": sorted((e["type"], e["name"], tuple(sorted(e["aliases"] or [])), tuple(sorted(e["norms"] or [])),
                            e["mentions"]) for e in entities),
        "facts": sorted((names[f["s"]], f["type"], names[f["o"]], f["support"], f["rsupport"]) for f in facts),
        "mentions": sorted((names[m["e"]], m["d"], m["c"], m["v"], tuple(m["names"])) for m in mentions),
        "supports": sorted((s["type"], s["c"]) for s in supports),
        "aliases": sorted((a["norm"], names[a["e"]]) for a in aliases),
        "chunks": sorted((c["d"], c["c"], c["v"]) for c in chunks),
    }


json.dump(_dump(store, "kb1"), open(f"/tmp/i21/dump-{mode}.json", "w"), ensure_ascii=False, sort_keys=True)
d.close(); srv.stop(); shutil.rmtree(root, ignore_errors=True)
