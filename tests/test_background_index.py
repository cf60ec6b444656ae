"""The embedded engine's HNSW index is built in the background: searches and writes go on while a copy is
indexed in another process, writes made meanwhile are kept, and the result survives a restart."""
from __future__ import annotations

import threading
import time

import numpy as np

from zhiku.index.edge_index_builder import BackgroundIndexBuilder
from zhiku.index.edge_store import EdgeVectorStore
from zhiku.index.sparse_encoder import SparseVector
from zhiku.index.vector_store import ChunkFilter, IndexPoint

DIM = 64


def _points(rng, start: int, n: int, document: str) -> list[IndexPoint]:
    centres = np.random.default_rng(7).standard_normal((40, DIM)).astype(np.float32)
    dense = centres[rng.integers(0, 40, n)] + 0.5 * rng.standard_normal((n, DIM)).astype(np.float32)
    return [IndexPoint(f"00000000-0000-4000-8000-{start + i:012d}", dense[i],
                       SparseVector(sorted({int(x) for x in rng.integers(0, 5000, 12)}), [1.0] * 12),
                       {"kb_id": "kb", "document_id": document, "version": "v1", "access_principals": ["*"],
                        "file_type": "markdown", "text": f"chunk {start + i}"}) for i in range(n)]


def test_the_index_is_built_while_searches_and_writes_go_on(tmp_path):
    rng = np.random.default_rng(0)
    store = EdgeVectorStore(tmp_path / "chunks", indexing_threshold_kb=100)  # a test-sized segment gets a graph
    store.ensure_collection(DIM, "test-model")
    for start in range(0, 6000, 500):
        store.upsert(_points(rng, start, 500, f"doc{start // 1000}"))
    assert store.unindexed_points() == 6001  # and the schema marker
    queries = [p.dense for p in _points(np.random.default_rng(1), 10_000, 30, "q")]

    builder = BackgroundIndexBuilder(store, threshold=1000, check_seconds=3600)
    done = threading.Event()
    searched: list[tuple[float, float]] = []  # (when, seconds)
    errors: list[Exception] = []

    def search_meanwhile():
        while not done.is_set():
            started = time.perf_counter()
            try:
                store.search_dense(queries[len(searched) % 30], ChunkFilter(kb_ids=["kb"]), 10)
            except Exception as exc:  # noqa: BLE001 - recorded for the assertion
                errors.append(exc)
            searched.append((started, time.perf_counter() - started))

    reader = threading.Thread(target=search_meanwhile)
    reader.start()
    written = []
    child_started = []

    def write_meanwhile():
        while builder._child is None and not done.is_set():  # until the copy is being optimised
            time.sleep(0.01)
        child_started.append(time.perf_counter())
        written.extend(_points(rng, 20_000, 300, "late"))
        store.upsert(written)
        store.delete(ChunkFilter(document_ids=["doc0"]))

    writer = threading.Thread(target=write_meanwhile)
    writer.start()
    build = builder.build_now()
    done.set()
    reader.join()
    writer.join()

    assert build.succeeded, build.error
    assert not errors, errors[:3]
    # searches went on at their usual pace while the other process built the index
    window = [seconds for when, seconds in searched
              if child_started[0] <= when <= child_started[0] + build.build_seconds - 0.5]
    assert len(window) >= 5 and max(window) < build.build_seconds / 2, (len(window), build)
    # the writes made during the build are there, the deleted document is not
    assert store.count(ChunkFilter(document_ids=["late"])) == 300
    assert store.count(ChunkFilter(document_ids=["doc0"])) == 0
    assert store.count(ChunkFilter(kb_ids=["kb"])) == 6000 - 1000 + 300
    assert store.unindexed_points() <= 300  # only what came during the build waits for the next one
    # the HNSW graph finds what the exact scan finds
    in_kb = ChunkFilter(kb_ids=["kb"])
    recall = np.mean([len({h.point_id for h in store.search_dense(q, in_kb, 10, exact=True)}
                          & {h.point_id for h in store.search_dense(q, in_kb, 10)}) / 10 for q in queries])
    assert recall >= 0.9, recall
    folder = store.current_folder()
    assert folder.name == "chunks.gen1" and not (tmp_path / "chunks").exists()
    store.close()

    reopened = EdgeVectorStore(tmp_path / "chunks")
    reopened.ensure_collection(DIM, "test-model")
    assert reopened.count(ChunkFilter(kb_ids=["kb"])) == 5300 and reopened.unindexed_points() <= 300
    reopened.close()


def test_the_hnsw_settings_are_kept_in_the_store_and_its_index_is_built_with_them(tmp_path):
    from zhiku.index.edge_store import HnswSettings

    store = EdgeVectorStore(tmp_path / "chunks", indexing_threshold_kb=100, hnsw=HnswSettings(12, 64, 1))
    store.ensure_collection(DIM, "test-model")
    rng = np.random.default_rng(3)
    store.upsert(_points(rng, 0, 3000, "doc"))
    assert BackgroundIndexBuilder(store, threshold=1, check_seconds=3600).build_now().succeeded
    assert store.unindexed_points() == 0
    config = store.hnsw_config()
    assert (config["m"], config["ef_construct"], config["max_indexing_threads"]) == (12, 64, 1)
    query = _points(np.random.default_rng(4), 9000, 1, "q")[0].dense
    approximate = store.search_dense(query, ChunkFilter(kb_ids=["kb"]), 10)
    exact = store.search_dense(query, ChunkFilter(kb_ids=["kb"]), 10, exact=True)
    assert len({h.point_id for h in approximate} & {h.point_id for h in exact}) >= 8
    store.close()
    reopened = EdgeVectorStore(tmp_path / "chunks")  # without settings: the shard keeps its own
    reopened.ensure_collection(DIM, "test-model")
    assert reopened.hnsw_config()["m"] == 12
    reopened.close()


def test_the_default_hnsw_settings_are_the_engines():
    from zhiku.core.settings import Settings
    from zhiku.index.edge_store import HnswSettings

    assert HnswSettings.from_settings(Settings()) == HnswSettings()
