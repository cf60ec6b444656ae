"""The walk's statement and two variants, replayed on the benchmark's 200 queries (issue #14 point 5, session 26).

The seeds are linked once per query (the benchmark's linker, filters and expansion settings); then each query's walk
is read in every variant back to back, the order turned every pass, 3 passes; each read is timed and the graph
server's CPU (its JVM's utime + stime) summed per variant:
- "one statement (CALL per row)": `GraphStore._two_hops_kept()`, what the walk sends (both hops, every relation's
  chunks from the facts' kept lists, the second hop's in a `CALL {}` per first-hop row);
- "no second-hop chunks": the same without the second hop's chunks (what a walk plus a second round trip for the
  kept second-hop relations' chunks would send first);
- "unwind+group": the second hop's chunks by UNWIND + OPTIONAL MATCH + aggregation instead of the CALL.

    python docs/measurements/graph26_walk_variants.py /tmp/s26g/10000
"""
import sys, time, json
from pathlib import Path
from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import bench_retriever, SentencePool, _kb_filter, _queries, _with_graph
from zhiku.index.sparse_encoder import build_sparse_encoder
from zhiku.graph import graph_store as gs
import psutil

def server_cpu():
    for c in psutil.Process().children(recursive=True):
        if c.name() == "java":
            t = c.cpu_times(); return t.user + t.system
    return 0.0

folder = Path(sys.argv[1]); s = get_settings()
retriever = bench_retriever(folder, build_sparse_encoder(s.sparse_encoder), s)
queries = _queries(SentencePool.load(Path("/work/shared/eval")), 200)
variants = {}
def run():
    g = retriever.graph; store = g.store; c = g.config
    seeds = []
    for i, q in enumerate(queries):
        kb = _kb_filter(i).kb_ids
        linked = g._seeds(kb, g.linker.link(kb, q, limit=2 * c.max_linked))
        if linked:
            seeds.append((kb, [e.key for e in linked]))
    full = gs._two_hops_kept()
    head, fields = gs._kept_first_hop("cap")
    js = "[j IN range(0, size(coalesce(m.kept_rkey, [])) - 1) WHERE m.kept_rkey[j] <> rk][..$cap2]"
    second = [("rkey", "m.kept_rkey[j]"), ("rkb", "m.kb_id"), ("rtype", "m.kept_rtype[j]"),
              ("target", "m.kept_target[j]"), ("forward", "m.kept_forward[j]"), ("support", "m.kept_support[j]")]
    nocall = f"""{head}
            WITH s, i, n, m, rk, f, {js} AS js
            RETURN {fields}, {", ".join(f"[j IN js | {v}] AS h2_{k}" for k, v in second)}"""
    grouped = f"""{head}
            WITH s, i, n, m, rk, f, {js} AS js
            UNWIND (CASE WHEN size(js) = 0 THEN [null] ELSE js END) AS j
            OPTIONAL MATCH (f2:Fact {{key: m.kept_rkey[j]}})
            WITH s, i, n, m, rk, f, js, collect(f2.key) AS h2_fkey, collect(f2.support) AS h2_total,
                 collect(f2.support_chunks[..$n]) AS h2_chunk_ids, collect(f2.support_documents[..$n]) AS h2_document_ids
            RETURN {fields}, {", ".join(f"[j IN js | {v}] AS h2_{k}" for k, v in second)}, h2_fkey, h2_total, h2_chunk_ids, h2_document_ids"""
    variants.update({"one statement (CALL per row)": full, "no second-hop chunks": nocall, "unwind+group": grouped})
    times = {k: [] for k in variants}; cpu = {k: 0.0 for k in variants}
    later = c.later_fan_out_cap or c.fan_out_cap
    a = sorted(store._read(full, keys=seeds[0][1], kb_ids=seeds[0][0], cap=c.fan_out_cap, cap2=c.later_fan_out_cap or c.fan_out_cap, n=store.support_limit), key=lambda r: (r["seed"], r["rank"]))
    b = sorted(store._read(grouped, keys=seeds[0][1], kb_ids=seeds[0][0], cap=c.fan_out_cap, cap2=c.later_fan_out_cap or c.fan_out_cap, n=store.support_limit), key=lambda r: (r["seed"], r["rank"]))
    print("same rows:", [gs._unpack(r) for r in a] == [gs._unpack(r) for r in b], len(a), len(b))
    for p in range(3):
        for kb, keys in seeds:
            for name in (list(variants) if p % 2 == 0 else list(variants)[::-1]):
                c0 = server_cpu(); t = time.perf_counter()
                store._read(variants[name], keys=keys, kb_ids=kb, cap=c.fan_out_cap, cap2=later, n=store.support_limit)
                times[name].append((time.perf_counter() - t) * 1000); cpu[name] += server_cpu() - c0
    import statistics
    for k, v in times.items():
        v = sorted(v); print(k, "p50 %.2f p95 %.2f mean %.2f  server cpu/read %.2f ms" % (v[len(v)//2], v[int(len(v)*.95)], statistics.mean(v), cpu[k]*1000/len(v)))
    return []
_with_graph(folder, retriever, s, run)
