"""Per walk (the bench's 200 queries), the relations it keeps and their support: how many walks would need one more
round trip if the chunks of relations supported by more than K chunks were read after the walk (session 27; the
reason the fallback is inside the walk's statement). Log: graph27-fallback-rate.log.

    python docs/measurements/graph27_fallback_rate.py /tmp/s27g/10000
"""
import sys
from pathlib import Path
from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import bench_retriever, SentencePool, _kb_filter, _queries, _with_graph
from zhiku.index.sparse_encoder import build_sparse_encoder
folder = Path(sys.argv[1]); s = get_settings()
retriever = bench_retriever(folder, build_sparse_encoder(s.sparse_encoder), s)
queries = _queries(SentencePool.load(Path("/work/shared/eval")), 200)
def run():
    g = retriever.graph; c = g.config; sup = []
    for i, q in enumerate(queries):
        kb = _kb_filter(i).kb_ids
        linked = g._seeds(kb, g.linker.link(kb, q, limit=2 * c.max_linked))
        if linked:
            r = g.store.walk(kb, [e.key for e in linked], c.max_hops, c.fan_out_cap, c.entity_limit, later_cap=c.later_fan_out_cap)
            sup.append([h.support for h in r.relations.values()])
    print(len(sup), "walks; relations kept per walk, mean", round(sum(map(len, sup)) / len(sup), 1))
    for K in (1, 2, 3, 5, 10, 20, 40):
        print(f"K={K}: walks with a kept relation of support > K: {sum(any(x > K for x in w) for w in sup)}; "
              f"such relations {sum(x > K for w in sup for x in w)}")
    return []
_with_graph(folder, retriever, s, run)
