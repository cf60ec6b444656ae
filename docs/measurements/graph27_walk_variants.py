"""The walk's statement, session 26's against this one, replayed on the benchmark's 200 queries (issue #14 point 5,
session 27): server CPU per walk (the graph server's JVM utime + stime), this process's CPU (the read and every row
made edges, `edges`: more than the walk makes, the same for both), wall time per read, and whether both give the same
edges and chunks.

The seeds are linked once per query (the benchmark's linker, filters and expansion settings); then each query's walk
is read with each statement back to back, the order turned every pass. Session 26's statement is taken from an older
checkout's graph/graph_store.py (it ignores the entities' kept chunks, so both run on one migrated store):

    python docs/measurements/graph27_walk_variants.py /tmp/s27g/10000 /tmp/s27base/graph/graph_store.py 3
"""
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import psutil

from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import SentencePool, _kb_filter, _queries, _with_graph, bench_retriever
from zhiku.graph import graph_store as gs
from zhiku.index.sparse_encoder import build_sparse_encoder


def server_cpu() -> float:
    for c in psutil.Process().children(recursive=True):
        if c.name() == "java":
            t = c.cpu_times()
            return t.user + t.system
    return 0.0


folder, old_path, passes = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
spec = importlib.util.spec_from_file_location("graph_store_s26", old_path)
old = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = old  # (its dataclasses look their module up)
spec.loader.exec_module(old)
s = get_settings()
retriever = bench_retriever(folder, build_sparse_encoder(s.sparse_encoder), s)
queries = _queries(SentencePool.load(Path("/work/shared/eval")), 200)
STATEMENTS = {"session 26: CALL per first-hop row": old._two_hops_kept(),
              "session 27: one row, lists bound once": gs._kept_walk(True)}


def edges(name: str, reply: list[dict]) -> list[tuple]:
    """Both hops' edges with their chunks, as the walk sees them."""
    if name.startswith("session 26"):
        rows = sorted(reply, key=lambda r: (r["seed"], r["rank"]))
        unpack = old._unpack
    else:
        rows, unpack = gs._kept_rows(reply), gs._unpack
    fields = ("source", "target", "rkey", "support", "total", "chunk_ids", "document_ids")
    out = []
    for row in rows:
        out.append(tuple(row.get(f) for f in fields) + (row["tname"],))
        out.append(tuple(tuple(e.get(f) for f in fields) for e in unpack(row)))
    return out


def run() -> list:
    g = retriever.graph
    store, c = g.store, g.config
    seeds = []
    for i, q in enumerate(queries):
        kb = _kb_filter(i).kb_ids
        linked = g._seeds(kb, g.linker.link(kb, q, limit=2 * c.max_linked))
        if linked:
            seeds.append((kb, [e.key for e in linked]))
    params = dict(cap=c.fan_out_cap, cap2=c.later_fan_out_cap or c.fan_out_cap, n=store.support_limit,
                  inline=gs.KEPT_CHUNK_SUPPORT)
    same = all(edges(a, store._read(STATEMENTS[a], keys=keys, kb_ids=kb, **params)) ==
               edges(b, store._read(STATEMENTS[b], keys=keys, kb_ids=kb, **params))
               for kb, keys in seeds for a, b in [list(STATEMENTS)])
    print(f"{len(seeds)} walks; the same edges and chunks from both statements: {same}", flush=True)
    times = {k: [] for k in STATEMENTS}
    cpu = {k: 0.0 for k in STATEMENTS}
    client = {k: 0.0 for k in STATEMENTS}  # this process's CPU: the read (driver decoding) and the rows made edges
    for p in range(passes):
        for kb, keys in seeds:
            for name in (list(STATEMENTS) if p % 2 == 0 else list(STATEMENTS)[::-1]):
                c0, t, p0 = server_cpu(), time.perf_counter(), time.process_time()
                edges(name, store._read(STATEMENTS[name], keys=keys, kb_ids=kb, **params))
                client[name] += time.process_time() - p0
                times[name].append((time.perf_counter() - t) * 1000)
                cpu[name] += server_cpu() - c0
    for k, v in times.items():
        v = sorted(v)
        print(f"{k}: p50 {v[len(v) // 2]:.2f} ms, p95 {v[int(len(v) * .95)]:.2f} ms, mean {statistics.mean(v):.2f} ms; "
              f"server CPU {cpu[k] * 1000 / len(v):.2f} ms a walk; this process {client[k] * 1000 / len(v):.2f} ms")
    return []


_with_graph(folder, retriever, s, run)
