"""HNSW build time and recall@10 of qdrant-edge's optimiser under several HnswIndexConfig settings, on one
written-but-unindexed bench store (the chunks, sparse and dense vectors `zhiku bench search` writes):

    python docs/profiles/hnsw_settings.py write <base folder> <size> <processes>
    python docs/profiles/hnsw_settings.py measure <base folder> <scratch folder> <eval dir> <m>,<ef>,<threads> ...

`measure`, per setting: copy the base shard, load it with that hnsw_config (EdgeShard.load overwrites the stored
config), time optimize() in a child process (as the background builder does), then recall@10 of 100 dense
queries against an exact scan, both with the bench's tenant filter (one kb, 1/20 of the points: under the
engine's full-scan threshold the engine scans the tenant exactly) and unfiltered (the graph's own recall)."""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import qdrant_edge as qe

from zhiku.evaluation import search_benchmark as sb
from zhiku.index.vector_store import DENSE, SPARSE


def write(base: Path, size: int, processes: int) -> None:
    from zhiku.index.edge_store import EdgeVectorStore
    from zhiku.index.sparse_encoder import JiebaBm25Encoder

    pool, sparse = sb.SentencePool.load(Path("/work/shared/eval")), JiebaBm25Encoder()
    sb._WORK.update(pool=pool, sparse=sparse, projector=sb.Projector())
    sparse.tokenize("预热")
    spans = [(s, min(size, s + sb.WRITE_BATCH)) for s in range(0, size, sb.WRITE_BATCH)]
    points_of = sb.InOrder(sb._chunk_points, spans, processes)
    store = EdgeVectorStore(base / "chunks")
    store.ensure_collection(sb.DIMENSION, sb.ProjectingEmbedder.model_id)
    started = time.perf_counter()
    for points in points_of:
        store.upsert(points)
    points_of.close()
    store.close()
    print(json.dumps({"written": size, "seconds": round(time.perf_counter() - started, 1)}))


def config(m: int, ef: int, threads: int) -> qe.EdgeConfig:
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=sb.DIMENSION, distance=qe.Distance.Cosine)},
        sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        hnsw_config=qe.HnswIndexConfig(m=m, ef_construct=ef, full_scan_threshold=10_000,
                                       max_indexing_threads=threads))


def optimise(folder: str, m: int, ef: int, threads: int) -> None:
    shard = qe.EdgeShard.load(folder, config(m, ef, threads))
    shard.optimize()
    shard.flush()
    shard.close()


def measure(base: Path, scratch: Path, eval_dir: Path, settings: list[str]) -> None:
    from zhiku.index.edge_store import EdgeVectorStore
    from zhiku.index.sparse_encoder import JiebaBm25Encoder

    pool, sparse = sb.SentencePool.load(eval_dir), JiebaBm25Encoder()
    embed = sb.ProjectingEmbedder(sparse, sb.Projector())
    queries = [embed.embed_query(q) for q in sb._queries(pool, 100)]
    source = EdgeVectorStore(base / "chunks").current_folder()
    for setting in settings:
        m, ef, threads = (int(x) for x in setting.split(","))
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(source, scratch / "chunks")
        started = time.perf_counter()
        child = subprocess.run([sys.executable, __file__, "optimise", str(scratch / "chunks"), str(m), str(ef),
                                str(threads)], capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if child.returncode:
            print(json.dumps({"setting": setting, "error": child.stderr[-800:]}), flush=True)
            continue
        store = EdgeVectorStore(scratch / "chunks")
        store.ensure_collection(sb.DIMENSION, sb.ProjectingEmbedder.model_id)
        info = store.info()
        row = {"m": m, "ef_construct": ef, "max_indexing_threads": threads, "build_seconds": round(seconds, 1),
               "points": info.points_count, "unindexed": store.unindexed_points()}
        from zhiku.index.vector_store import ChunkFilter
        for name, make_filter in (("kb filter", sb._kb_filter), ("unfiltered", lambda i: ChunkFilter())):
            recalls, times = [], []
            for i, vector in enumerate(queries):
                began = time.perf_counter()
                approximate = {h.point_id for h in store.search_dense(vector, make_filter(i), 10)}
                times.append((time.perf_counter() - began) * 1000)
                exact = {h.point_id for h in store.search_dense(vector, make_filter(i), 10, exact=True)}
                recalls.append(len(approximate & exact) / max(len(exact), 1))
            row[name] = {"recall_at_10": round(statistics.fmean(recalls), 4),
                         "p50_ms": round(statistics.median(times), 2)}
        store.close()
        print(json.dumps(row), flush=True)
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "optimise":
        optimise(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        measure(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5:])
