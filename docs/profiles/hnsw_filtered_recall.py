"""Recall@10 of the HNSW graph under tenant filters of several sizes, on an indexed bench store, for each search
beam (ZHIKU_EDGE_HNSW_EF; 0: the engine's):
    python docs/profiles/hnsw_filtered_recall.py <store folder holding chunks/> <eval dir> [ef,ef,...]
At 100k a one-kb filter (5,000 points) is scanned exactly; a ten-kb filter (50,000 points, a tenant's size at 1M)
makes the engine walk the graph, as one kb will at 1M."""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from zhiku.evaluation import search_benchmark as sb
from zhiku.index.edge_store import EdgeVectorStore, HnswSettings
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.index.vector_store import ChunkFilter

folder, eval_dir = Path(sys.argv[1]), Path(sys.argv[2])
beams = [int(b) for b in sys.argv[3].split(",")] if len(sys.argv) > 3 else [0]
pool, sparse = sb.SentencePool.load(eval_dir), JiebaBm25Encoder()
embed = sb.ProjectingEmbedder(sparse, sb.Projector())
queries = [embed.embed_query(q) for q in sb._queries(pool, 100)]
for beam in beams:
    store = EdgeVectorStore(folder / "chunks", hnsw=HnswSettings(search_ef=beam))
    store.ensure_collection(sb.DIMENSION, sb.ProjectingEmbedder.model_id)
    print(json.dumps({"points": store.info().points_count, "unindexed": store.unindexed_points(),
                      "hnsw_config": store.hnsw_config(), "search_ef": beam}))
    for kbs in (1, 10, 20):
        recalls, times = [], []
        for i, vector in enumerate(queries):
            chosen = [f"kb{(i + k) % sb.KNOWLEDGE_BASES:02d}" for k in range(kbs)]
            where = ChunkFilter(kb_ids=chosen, principals=["bench"])
            began = time.perf_counter()
            approximate = {h.point_id for h in store.search_dense(vector, where, 10)}
            times.append((time.perf_counter() - began) * 1000)
            exact = {h.point_id for h in store.search_dense(vector, where, 10, exact=True)}
            recalls.append(len(approximate & exact) / max(len(exact), 1))
        print(json.dumps({"search_ef": beam, "kbs_in_filter": kbs,
                          "points_in_filter": kbs * store.info().points_count // 20,
                          "recall_at_10": round(statistics.fmean(recalls), 4),
                          "p50_ms": round(statistics.median(times), 2),
                          "p95_ms": round(statistics.quantiles(times, n=20)[-1], 2)}), flush=True)
    store.close()
