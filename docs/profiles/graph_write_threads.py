"""The graph stage of N rgb_zh one-chunk documents against a fresh local ArcadeDB server, with the server's CPU by
JVM thread (C1/C2 compiler threads, the Bolt connection's thread) and the statements the client sent.

    python docs/profiles/graph_write_threads.py per-doc 80            # one build() per document
    python docs/profiles/graph_write_threads.py batch4 80             # build_many() of 4 documents at a time
    JIT=full python docs/profiles/graph_write_threads.py per-doc 80   # tiered C1 + C2 (ZHIKU_GRAPH_JIT=full)
    JVM_EXTRA="-XX:TieredStopAtLevel=1" ...                           # extra JVM options (before the setting existed)

Issue #14 item 7 (docs/profiles/README.md, fourth sitting)."""
import json, os, sys, time, tempfile, shutil
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

mode = sys.argv[1] if len(sys.argv) > 1 else "per-doc"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 80
s = Settings()
docs = []
for line in open("/work/shared/eval/rgb_zh/corpus.jsonl", encoding="utf-8"):
    row = json.loads(line)
    if row["text"].strip():
        docs.append((row["_id"], ((row.get("title") or "") + "\n\n" + row["text"]).strip()))
    if len(docs) == n: break
chunker = StructuredChunker(ChunkingConfig(s.chunk_size, s.chunk_overlap, s.parent_chunk_size))
items = []
for i, (did, text) in enumerate(docs):
    chunks = chunker.chunk(parse_document(text.encode(), did + ".txt")[1])
    items.append((DocumentRef("kb1", f"doc{i}", f"v{i}", did + ".txt", "txt", ["*"]), chunks))
root = Path(tempfile.mkdtemp(prefix="gb-"))
server = EmbeddedBoltServer(root, jit=os.environ.get("JIT", "quick"))
extra = os.environ.get("JVM_EXTRA", "").split()
if extra:
    orig_cmd = server.command
    server.command = lambda p, h: [orig_cmd(p, h)[0], *extra, *orig_cmd(p, h)[1:]]
info = server.start()
driver = GraphDatabase.driver(info.uri, auth=server.auth())
store = GraphStore(driver, info.database)
store.ensure_schema()
builder = GraphBuilder(store, make_extractor(s), make_resolver_factory(s))
builder.extractor.extract("招商银行深圳分行于2020年成立。", [])
jvm = psutil.Process(info.pid)
def jcpu():
    t = jvm.cpu_times(); return t.user + t.system
def threads():
    out = {}
    for tid in os.listdir(f"/proc/{info.pid}/task"):
        try:
            comm = open(f"/proc/{info.pid}/task/{tid}/comm").read().strip()
            st = open(f"/proc/{info.pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
            cpu = (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
        key = comm.split("#")[0].rstrip("-0123456789 ") if not comm.startswith("C") else comm[:2]
        out[key] = out.get(key, 0) + cpu
    return out
# count statements
from neo4j import ManagedTransaction
import neo4j._sync.work.transaction as T
counter = [0]
orig = T.TransactionBase.run
def counted(self, *a, **k):
    counter[0] += 1
    return orig(self, *a, **k)
T.TransactionBase.run = counted
me = psutil.Process()
t0 = time.perf_counter(); j0 = jcpu(); p0 = me.cpu_times(); th0 = threads()
if mode == "per-doc":
    for ref, chunks in items:
        builder.build(ref, chunks)
elif mode.startswith("batch"):
    k = int(mode[5:] or 4)
    for i in range(0, len(items), k):
        builder.build_many(items[i:i + k])
t1 = time.perf_counter(); j1 = jcpu(); p1 = me.cpu_times(); th1 = threads()
print(json.dumps({"mode": mode, "docs": len(items), "wall": round(t1 - t0, 2), "jvm_cpu": round(j1 - j0, 2),
                  "py_cpu": round(p1.user + p1.system - p0.user - p0.system, 2), "statements": counter[0],
                  "jvm_threads": {k: round(v - th0.get(k, 0), 2) for k, v in th1.items() if v - th0.get(k, 0) > 0.05},
                  "stats": store.stats("kb1").__dict__}))
# second pass: same again (warm JVM)
if len(sys.argv) > 3:
    t0 = time.perf_counter(); j0 = jcpu(); c0 = counter[0]; th0 = threads()
    for ref, chunks in items:
        builder.build(DocumentRef(ref.kb_id, ref.document_id + "b", ref.version, ref.name, ref.file_type, ["*"]), chunks)
    t1 = time.perf_counter(); j1 = jcpu(); th1 = threads()
    print(json.dumps({"second pass wall": round(t1 - t0, 2), "jvm_cpu": round(j1 - j0, 2), "statements": counter[0] - c0,
                      "jvm_threads": {k: round(v - th0.get(k, 0), 2) for k, v in th1.items() if v - th0.get(k, 0) > 0.05}}))
driver.close(); server.stop(); shutil.rmtree(root, ignore_errors=True)
