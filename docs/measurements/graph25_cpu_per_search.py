"""CPU per search, hybrid + second stage and graph mode: this process's (`time.process_time`, all its threads) and the
graph server's (its JVM's utime + stime), over the benchmark's queries, the two modes in alternating blocks of the
200 queries, `passes` times (issue #14 point 5, session 25). CPU moves far less with the machine's load than wall
time, so two versions of the code can be compared run by run (run it with each one's venv).

    python docs/measurements/graph25_cpu_per_search.py /tmp/s25g/10000 200 3
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import psutil

from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import bench_retriever, SentencePool, _kb_filter, _queries, _with_graph
from zhiku.index.sparse_encoder import build_sparse_encoder
from zhiku.retrieval.hybrid_retriever import RetrievalMode


def server_cpu() -> float:
    for child in psutil.Process().children(recursive=True):
        if child.name() == "java":
            times = child.cpu_times()
            return times.user + times.system
    return 0.0


def main(argv: list[str]) -> None:
    folder, count, passes = Path(argv[0]), int(argv[1]), int(argv[2])
    s = get_settings()
    retriever = bench_retriever(folder, build_sparse_encoder(s.sparse_encoder), s)
    queries = _queries(SentencePool.load(Path("/work/shared/eval")), count)
    modes = (RetrievalMode.HYBRID_RERANK, RetrievalMode.GRAPH)
    cpu: dict = {m.value: {"process_ms": [], "server_ms": [], "wall_ms": []} for m in modes}

    def run() -> list[float]:
        for i, query in enumerate(queries[:5]):
            for mode in modes:
                retriever.retrieve(query, _kb_filter(i), 10, mode)
        for p in range(passes):
            for mode in (modes if p % 2 == 0 else modes[::-1]):
                j0, c0, w0 = server_cpu(), time.process_time(), time.perf_counter()
                for i, query in enumerate(queries):
                    retriever.retrieve(query, _kb_filter(i), 10, mode)
                j1, c1, w1 = server_cpu(), time.process_time(), time.perf_counter()
                cpu[mode.value]["process_ms"].append(round((c1 - c0) / len(queries) * 1000, 2))
                cpu[mode.value]["server_ms"].append(round((j1 - j0) / len(queries) * 1000, 2))
                cpu[mode.value]["wall_ms"].append(round((w1 - w0) / len(queries) * 1000, 2))
        return []

    _with_graph(folder, retriever, s, run)
    retriever.store.close()
    print(json.dumps(cpu))


if __name__ == "__main__":
    main(sys.argv[1:])
