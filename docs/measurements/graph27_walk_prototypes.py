"""Prototypes of the walk statement (session 27, before the implementation), replayed on the bench's 200 queries on
/tmp/s27g/10000 after graph27_proto_lists.py (every entity's kept relations' chunks for support <= K, set by a
script, no mark): the current statement (a CALL per first-hop row seeking every second-hop fact), without second-hop chunks,
chunks from the bridge's lists with and without a fallback CALL, both hops from lists, and the one-row statement with
each node's lists bound once (what was implemented). Log: graph27-walk-prototypes.log. Run with
main 6e789ab's code (it uses session 26's `_two_hops_kept` and `_kept_first_hop`).

    python docs/measurements/graph27_walk_prototypes.py /tmp/s27g/10000 3 10
"""
import sys, time, statistics
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

folder = Path(sys.argv[1]); passes = int(sys.argv[2]); K = int(sys.argv[3]); s = get_settings()
retriever = bench_retriever(folder, build_sparse_encoder(s.sparse_encoder), s)
queries = _queries(SentencePool.load(Path("/work/shared/eval")), 200)

head_f, fields_f = gs._kept_first_hop("cap")
JS = "[j IN range(0, size(coalesce(m.kept_rkey, [])) - 1) WHERE m.kept_rkey[j] <> rk][..$cap2]"
SECOND = [("rkey", "m.kept_rkey[j]"), ("rkb", "m.kb_id"), ("rtype", "m.kept_rtype[j]"),
          ("target", "m.kept_target[j]"), ("forward", "m.kept_forward[j]"), ("support", "m.kept_support[j]")]
second = ", ".join(f"[j IN js | {v}] AS h2_{k}" for k, v in SECOND)
SLICE = "{v}.kept_{what}[{v}.kept_from[{j}]..{v}.kept_from[{j} + 1]][..$n]"
inline2 = (f"[j IN js | {SLICE.format(v='m', what='chunk', j='j')}] AS h2_ichunks, "
           f"[j IN js | {SLICE.format(v='m', what='document', j='j')}] AS h2_idocs")
fallback_call = """CALL {
              WITH m, js
              UNWIND [j IN js WHERE m.kept_support[j] > $inline] AS j
              MATCH (f2:Fact {key: m.kept_rkey[j]})
              RETURN collect(f2.key) AS h2_fkey, collect(f2.support_chunks[..$n]) AS h2_chunk_ids,
                     collect(f2.support_documents[..$n]) AS h2_document_ids
            }"""
head_n = """
            UNWIND range(0, size($keys) - 1) AS s
            WITH s, $keys[s] AS k
            MATCH (n:Entity {key: k})
            WHERE n.kb_id IN $kb_ids
            UNWIND range(0, size(coalesce(n.kept_rkey, [])[..$cap]) - 1) AS i
            WITH s, i, n, n.kept_rkey[i] AS rk, n.kept_target[i] AS tk
            MATCH (m:Entity {key: tk})
            CALL {
              WITH n, i, rk
              WITH rk, n.kept_support[i] AS sup WHERE sup > $inline
              MATCH (f:Fact {key: rk})
              RETURN collect(f.support_chunks[..$n]) AS fc, collect(f.support_documents[..$n]) AS fd
            }"""
first_n = [("source", "n.key"), ("target", "m.key"), ("rkey", "rk"), ("rkb", "n.kb_id"),
           ("rtype", "n.kept_rtype[i]"), ("subject_key", "CASE WHEN n.kept_forward[i] THEN n.key ELSE m.key END"),
           ("object_key", "CASE WHEN n.kept_forward[i] THEN m.key ELSE n.key END"), ("support", "n.kept_support[i]"),
           ("tname", "m.name"), ("taliases", "m.aliases"), ("ttype", "m.type"), ("tmentions", "m.mentions"),
           ("tkb", "m.kb_id"), ("total", "n.kept_support[i]"),
           ("chunk_ids", f"CASE WHEN size(fc) = 0 THEN {SLICE.format(v='n', what='chunk', j='i')} ELSE fc[0] END"),
           ("document_ids", f"CASE WHEN size(fc) = 0 THEN {SLICE.format(v='n', what='document', j='i')} ELSE fd[0] END"),
           ("seed", "s"), ("rank", "i")]
fields_n = ", ".join(f"{v} AS {k}" for k, v in first_n)
V = {
  "current (CALL, fact seeks)": gs._two_hops_kept(),
  "no second-hop chunks": f"""{head_f}
            WITH s, i, n, m, rk, f, {JS} AS js
            RETURN {fields_f}, {second}""",
  "2nd hop inline, no fallback": f"""{head_f}
            WITH s, i, n, m, rk, f, {JS} AS js
            RETURN {fields_f}, {second}, {inline2}""",
  "2nd hop inline + fallback CALL": f"""{head_f}
            WITH s, i, n, m, rk, f, {JS} AS js
            {fallback_call}
            RETURN {fields_f}, {second}, {inline2}, h2_fkey, h2_chunk_ids, h2_document_ids""",
  "both hops inline + fallbacks": f"""{head_n}
            WITH s, i, n, m, rk, fc, fd, {JS} AS js
            {fallback_call}
            RETURN {fields_n}, {second}, {inline2}, h2_fkey, h2_chunk_ids, h2_document_ids""",
}

ONE = """
            UNWIND range(0, size($keys) - 1) AS s
            WITH s, $keys[s] AS k
            MATCH (n:Entity {key: k})
            WHERE n.kb_id IN $kb_ids
            WITH s, n, n.kept_rkey AS nr, n.kept_rtype AS nt, n.kept_target AS nx, n.kept_forward AS nf,
                 n.kept_support AS ns, n.kept_chunk AS nc, n.kept_document AS nd, n.kept_from AS no
            UNWIND range(0, size(coalesce(nr, [])[..$cap]) - 1) AS i
            MATCH (m:Entity {key: nx[i]})
            WITH s, i, n, nr, nt, nf, ns, nc, nd, no, m, m.kept_rkey AS mr, m.kept_rtype AS mt, m.kept_target AS mx,
                 m.kept_forward AS mf, m.kept_support AS ms, m.kept_chunk AS mc, m.kept_document AS md, m.kept_from AS mo
            WITH s, i, n, nr, nt, nf, ns, nc, nd, no, m, mr, mt, mx, mf, ms, mc, md, mo,
                 [j IN range(0, size(coalesce(mr, [])) - 1) WHERE mr[j] <> nr[i]][..$cap2] AS js
            WITH collect([s, i, n.key, m.key, nr[i], n.kb_id, nt[i], nf[i], ns[i], m.name, m.aliases, m.type, m.mentions,
                          m.kb_id, nc[no[i]..no[i + 1]][..$n], nd[no[i]..no[i + 1]][..$n],
                          [j IN js | mr[j]], [j IN js | mt[j]], [j IN js | mx[j]], [j IN js | mf[j]], [j IN js | ms[j]],
                          [j IN js | mc[mo[j]..mo[j + 1]][..$n]], [j IN js | md[mo[j]..mo[j + 1]][..$n]]]) AS rows,
                 collect(CASE WHEN ns[i] > $inline THEN [nr[i]] ELSE [] END + [j IN js WHERE ms[j] > $inline | mr[j]]) AS need
            CALL {
              WITH need
              UNWIND reduce(a = [], x IN need | a + x) AS fk
              MATCH (f:Fact {key: fk})
              RETURN collect(f.key) AS fkey, collect(f.support_chunks[..$n]) AS fchunks,
                     collect(f.support_documents[..$n]) AS fdocs
            }
            RETURN rows, fkey, fchunks, fdocs"""
V["one row, lists bound once, one CALL"] = ONE

def normal(rows):
    if rows and "fkey" in rows[0]:
        r0 = rows[0]; fb = {k: (list(c), list(d)) for k, c, d in zip(r0["fkey"], r0["fchunks"], r0["fdocs"])}
        out = []
        for (s_, i_, src, tgt, rk, rkb, rt, fw, sp, tn, ta, tt, tm, tkb, ch, dc, h2r, h2t, h2x, h2f, h2s, h2c, h2d) in sorted(r0["rows"], key=lambda r: (r[0], r[1])):
            c1, d1 = (list(ch), list(dc)) if sp <= K else fb[rk]
            h2 = tuple((a, b, list(c), list(d)) if b <= K else (a, b, *fb[a]) for a, b, c, d in zip(h2r, h2s, h2c, h2d))
            out.append((src, tgt, rk, sp, c1, d1, tn, tuple(h2x), h2))
        return out
    out = []
    for r in sorted(rows, key=lambda r: (r["seed"], r["rank"])):
        fb = {k: (c, d) for k, c, d in zip(r.get("h2_fkey") or [], r.get("h2_chunk_ids") or [], r.get("h2_document_ids") or [])} if "h2_ichunks" in r else {}
        if "h2_ichunks" not in r and "h2_fkey" in r:
            fb = {k: (c, d) for k, c, d in zip(r["h2_fkey"], r["h2_chunk_ids"], r["h2_document_ids"])}
        h2 = []
        for j, rk in enumerate(r["h2_rkey"]):
            if "h2_ichunks" in r and r["h2_support"][j] <= K:
                h2.append((rk, r["h2_support"][j], list(r["h2_ichunks"][j]), list(r["h2_idocs"][j])))
            elif rk in fb:
                h2.append((rk, r["h2_support"][j], list(fb[rk][0]), list(fb[rk][1])))
            else:
                h2.append((rk, r["h2_support"][j], None, None))
        out.append((r["source"], r["target"], r["rkey"], r["total"], list(r["chunk_ids"]), list(r["document_ids"]),
                    r["tname"], tuple(r["h2_target"]), tuple(h2)))
    return out

def run():
    g = retriever.graph; store = g.store; c = g.config
    seeds = []
    for i, q in enumerate(queries):
        kb = _kb_filter(i).kb_ids
        linked = g._seeds(kb, g.linker.link(kb, q, limit=2 * c.max_linked))
        if linked:
            seeds.append((kb, [e.key for e in linked]))
    later = c.later_fan_out_cap or c.fan_out_cap
    P = lambda kb, keys: dict(keys=keys, kb_ids=kb, cap=c.fan_out_cap, cap2=later, n=store.support_limit, inline=K)
    ref = [normal(store._read(V["current (CALL, fact seeks)"], **P(kb, keys))) for kb, keys in seeds]
    for name in V:
        t = time.perf_counter(); store._read(V[name], **P(*seeds[0])); print(name, "one walk", round((time.perf_counter() - t) * 1000, 1), "ms", flush=True)
    for name in ("2nd hop inline + fallback CALL", "both hops inline + fallbacks", "one row, lists bound once, one CALL"):
        got = [normal(store._read(V[name], **P(kb, keys))) for kb, keys in seeds]
        print(name, flush=True); print(name, "same rows as current:", got == ref, sum(len(x) for x in ref), "rows", len(seeds), "walks")
    times = {k: [] for k in V}; cpu = {k: 0.0 for k in V}
    for p in range(passes):
        for kb, keys in seeds:
            for name in (list(V) if p % 2 == 0 else list(V)[::-1]):
                c0 = server_cpu(); t = time.perf_counter()
                store._read(V[name], **P(kb, keys))
                times[name].append((time.perf_counter() - t) * 1000); cpu[name] += server_cpu() - c0
    for k, v in times.items():
        v = sorted(v); print(f"{k:34s} p50 {v[len(v)//2]:.2f} p95 {v[int(len(v)*.95)]:.2f} mean {statistics.mean(v):.2f}  server cpu/walk {cpu[k]*1000/len(v):.2f} ms")
    return []
_with_graph(folder, retriever, s, run)
