"""Where `zhiku bench search`'s store build spends its time, per stage, in one process (no forking):
    python docs/profiles/bench_build_split.py <eval dir> <chunks> <scratch folder>
Stages per batch of WRITE_BATCH chunks: the chunk text (SentencePool.chunk), jieba + BM25 (encode_chunk), the
dense projection, the payload dict, IndexPoint → qe.Point conversion (numpy → list), the engine's update()."""
from __future__ import annotations

import json
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import qdrant_edge as qe

from zhiku.evaluation import search_benchmark as sb
from zhiku.index.chunk_terms import encode_chunk
from zhiku.index.edge_store import EdgeVectorStore
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.index.vector_store import DENSE, SPARSE

eval_dir, size, scratch = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
batch = int(sys.argv[4]) if len(sys.argv) > 4 else sb.WRITE_BATCH
pool, sparse, projector = sb.SentencePool.load(eval_dir), JiebaBm25Encoder(), sb.Projector()
sparse.tokenize("预热")
shutil.rmtree(scratch, ignore_errors=True)
store = EdgeVectorStore(scratch / "chunks")
store.ensure_collection(sb.DIMENSION, sb.ProjectingEmbedder.model_id)
seconds = defaultdict(float)
clock = time.perf_counter
total = clock()
for start in range(0, size, batch):
    edge_points = []
    for index in range(start, min(size, start + batch)):
        t0 = clock()
        text, parent = pool.chunk(index)
        t1 = clock()
        vector, terms = encode_chunk(sparse, text, text)
        t2 = clock()
        dense = projector.project(vector.indices, vector.values, index=index)
        t3 = clock()
        payload = {**sb._payload(index, text, parent), **terms}
        t4 = clock()
        edge_points.append(qe.Point(sb.point_id(index), {DENSE: dense.astype(np.float32).tolist(),
                                    SPARSE: qe.SparseVector(vector.indices, vector.values)}, payload))
        t5 = clock()
        seconds["chunk text"] += t1 - t0
        seconds["jieba + BM25"] += t2 - t1
        seconds["dense projection"] += t3 - t2
        seconds["payload"] += t4 - t3
        seconds["to qe.Point"] += t5 - t4
    t0 = clock()
    store.shard.update(qe.UpdateOperation.upsert_points(edge_points))
    seconds["engine update"] += clock() - t0
t0 = clock()
store.shard.flush()
seconds["flush"] += clock() - t0
total = clock() - total
store.close()
report = {"chunks": size, "batch": batch, "total_s": round(total, 1),
          "ms_per_chunk": {k: round(v / size * 1000, 3) for k, v in seconds.items()},
          "share": {k: round(v / total, 3) for k, v in seconds.items()}}
print(json.dumps(report, ensure_ascii=False))
shutil.rmtree(scratch, ignore_errors=True)
