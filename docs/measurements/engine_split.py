import json, sys, time, statistics
from pathlib import Path
from zhiku.evaluation import search_benchmark as sb
from zhiku.index.edge_store import EdgeVectorStore
from zhiku.index.sparse_encoder import build_sparse_encoder
folder = Path(sys.argv[1])
pool = sb.SentencePool.load(Path("/work/shared/eval")); sparse = build_sparse_encoder("jieba-bm25")
store = EdgeVectorStore(folder / "chunks"); store.ensure_collection(sb.DIMENSION, sb.ProjectingEmbedder.model_id)
emb = sb.ProjectingEmbedder(sparse, sb.Projector())
qs = sb._queries(pool, 200); vecs = [(emb.embed_query(q), sparse.encode_query(q)) for q in qs]
for d, v in vecs[:5]: store.search_dense(d, sb._kb_filter(0), 50); store.search_sparse(v, sb._kb_filter(0), 50)
out = {}
for name, fn in (("dense", lambda i, d, v: store.search_dense(d, sb._kb_filter(i), 50)),
                 ("sparse", lambda i, d, v: store.search_sparse(v, sb._kb_filter(i), 50))):
    t = []
    for i, (d, v) in enumerate(vecs):
        s = time.perf_counter(); fn(i, d, v); t.append((time.perf_counter() - s) * 1000)
    out[name] = sb._percentiles(t)
out["sparse_terms_per_query"] = statistics.fmean(len(v.indices) for _, v in vecs)
print(json.dumps(out))
store.close()
