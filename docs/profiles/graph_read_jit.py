"""Graph reads on a local server by JIT mode: write N rgb_zh documents' facts, then rounds of 200 entity look-ups
(find_entities) each with a two-hop expansion (expand), access-filtered to half the documents; per round the p50/p95
latency and the server's CPU.

    python docs/profiles/graph_read_jit.py 600 6                                   # the wheel's JVM defaults (C1 + C2)
    JVM_EXTRA="-XX:TieredStopAtLevel=1" python docs/profiles/graph_read_jit.py 600 6   # C1 only (ZHIKU_GRAPH_JIT=quick)

Issue #14 item 7 (docs/profiles/README.md, fourth sitting). Note: EmbeddedBoltServer now defaults to jit="quick";
the first command measured the tiered JVM before that default existed (pass jit="full" to measure it now)."""
import json, os, sys, time, tempfile, shutil, statistics, random
from pathlib import Path
import psutil
from neo4j import GraphDatabase
from zhiku.core.settings import Settings
from zhiku.graph.bolt_server import EmbeddedBoltServer
from zhiku.graph.graph_store import GraphStore
from zhiku.graph.graph_builder import GraphBuilder
from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker
from zhiku.ingest.parsing import parse_document
from zhiku.index.indexer import DocumentRef
n = int(sys.argv[1]); rounds = int(sys.argv[2])
s = Settings()
chunker = StructuredChunker(ChunkingConfig(s.chunk_size, s.chunk_overlap, s.parent_chunk_size))
items = []
for line in open("/work/shared/eval/rgb_zh/corpus.jsonl", encoding="utf-8"):
    row = json.loads(line)
    if not row["text"].strip(): continue
    i = len(items)
    chunks = chunker.chunk(parse_document(((row.get("title") or "") + "\n\n" + row["text"]).encode(), "d.txt")[1])
    items.append((DocumentRef("kb1", f"doc{i}", f"v{i}", "d.txt", "txt", ["*"]), chunks))
    if len(items) == n: break
root = Path(tempfile.mkdtemp(prefix="rb-"))
server = EmbeddedBoltServer(root, jit=os.environ.get("JIT", "full"))
extra = os.environ.get("JVM_EXTRA", "").split()
if extra:
    orig_cmd = server.command
    server.command = lambda p, h: [orig_cmd(p, h)[0], *extra, *orig_cmd(p, h)[1:]]
info = server.start()
driver = GraphDatabase.driver(info.uri, auth=server.auth())
store = GraphStore(driver, info.database); store.ensure_schema()
builder = GraphBuilder(store, make_extractor(s), make_resolver_factory(s))
jvm = psutil.Process(info.pid)
def jcpu():
    t = jvm.cpu_times(); return t.user + t.system
t0 = time.perf_counter(); j0 = jcpu()
for ref, chunks in items:
    builder.build(ref, chunks)
print(json.dumps({"jvm": os.environ.get("JVM_EXTRA", "default"), "write_docs": n, "wall": round(time.perf_counter() - t0, 1), "jvm_cpu": round(jcpu() - j0, 1)}), flush=True)
names = [r["name_norm"] for r in store.entity_names("kb1")]
random.seed(1); qs = random.sample(names, min(200, len(names)))
docs = [f"doc{i}" for i in range(0, n, 2)]
for r in range(rounds):
    lat = []; j0 = jcpu()
    for q in qs:
        t = time.perf_counter()
        hits = store.find_entities(["kb1"], [q], document_ids=docs)
        store.expand(["kb1"], [h.key for h in hits], 2, 20, 100, document_ids=docs, seeds_checked=True)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    print(json.dumps({"round": r, "p50_ms": round(lat[len(lat)//2], 1), "p95_ms": round(lat[int(len(lat)*0.95)], 1), "jvm_cpu": round(jcpu() - j0, 1)}), flush=True)
driver.close(); server.stop(); shutil.rmtree(root, ignore_errors=True)
