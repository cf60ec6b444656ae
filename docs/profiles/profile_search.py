"""One search, many times, for a profiler: `py-spy record -o search.svg -- python docs/profiles/profile_search.py
/work/benchdata/search/10000 300 hybrid+rerank` (a store built by `zhiku bench search`; the pipeline and queries of
evaluation/search_benchmark.py's measure_pipeline). `--tokenise`: ignore the terms kept in the payload (as a store
written before them), to profile the old path. `--graph`: graph mode, with the store's knowledge graph."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import (bench_retriever, SentencePool, _kb_filter,
                                               _percentiles, _queries, _with_graph)
from zhiku.index.sparse_encoder import build_sparse_encoder
from zhiku.retrieval.hybrid_retriever import RetrievalMode


def main(argv: list[str]) -> None:
    folder, count, mode = Path(argv[0]), int(argv[1]), RetrievalMode(argv[2])
    s = get_settings()
    sparse = build_sparse_encoder(s.sparse_encoder)
    if "--tokenise" in argv:
        type(sparse).terms_id = None  # stored terms are not this tokenizer's: every candidate is tokenised
    pool = SentencePool.load(Path("/work/shared/eval"))
    retriever = bench_retriever(folder, sparse, s)
    queries = _queries(pool, count)

    sparse.tokenize("预热")  # jieba's dictionary, loaded before (outside) the searches the profile looks at

    def run() -> list[float]:
        retriever.retrieve(queries[0], _kb_filter(0), 10, mode)
        times = []
        for i, query in enumerate(queries):
            started = time.perf_counter()
            retriever.retrieve(query, _kb_filter(i), 10, mode)
            times.append((time.perf_counter() - started) * 1000)
        return times

    if "--graph" in argv:
        times, _ = _with_graph(folder, retriever, s, run)
    else:
        times = run()
    print(mode.value, _percentiles(times), file=sys.stderr)
    retriever.store.close()


if __name__ == "__main__":
    main(sys.argv[1:])
