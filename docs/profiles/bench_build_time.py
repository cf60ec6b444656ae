"""The bench store's write and HNSW time for one size, one tokenising process:
    python docs/profiles/bench_build_time.py <empty folder> <chunks> [eval dir]"""
from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from zhiku.evaluation.search_benchmark import SentencePool, build_store
from zhiku.index.sparse_encoder import JiebaBm25Encoder

folder, size = Path(sys.argv[1]), int(sys.argv[2])
pool = SentencePool.load(Path(sys.argv[3] if len(sys.argv) > 3 else "../shared/eval"))
record = build_store(folder, size, pool, JiebaBm25Encoder(), lambda done, total: None, processes=1, checkpoint=10000)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"write_seconds": record["write_seconds"], "upsert_seconds": round(record["upsert_seconds"], 1),
                  "writer_wait_seconds": round(record["writer_wait_seconds"], 1),
                  "hnsw_build_seconds": record["hnsw_build_seconds"],
                  "cpu_seconds_this_process": round(usage.ru_utime + usage.ru_stime, 1)}))
