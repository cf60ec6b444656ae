"""`zhiku bench search` end to end on a small corpus: build once (then reuse), measure the three systems."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout (CI), or the machine's shared folder (a developer's worktree)
EVAL = next((p for p in (ROOT.parent / "shared" / "eval", Path("/work/shared/eval")) if p.exists()),
            ROOT.parent / "shared" / "eval")


@pytest.mark.skipif(not (EVAL / "rgb_zh").exists(), reason="needs ../shared/eval (rgb_zh, cmrc2018_zh)")
@pytest.mark.timeout(900)
def test_bench_search_builds_once_and_reports_every_system(tmp_path):
    from zhiku.api.cli import app

    args = ["bench", "search", "--sizes", "800", "--data-dir", str(tmp_path), "--eval-dir", str(EVAL),
            "--queries", "8", "--output", str(tmp_path / "report.json")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    row = report[0]
    assert row["build"]["written"] == 800 and row["build"]["indexed"]
    systems = {s["system"].split(" ")[0]: s for s in row["systems"]}
    assert set(systems) == {"engine", "Zhiku", "LlamaIndex"}, row["systems"]
    assert systems["engine"]["hnsw_recall_at_10"] > 0.9 and systems["engine"]["points"] == 801
    assert systems["Zhiku"]["query_embedding_ms"]["count"] == 8
    assert row["build"]["graph"]["entity_mentions"] > 0 and systems["Zhiku"]["with_graph_ms"]["p95"] > 0
    # /search as served: the real query model in the loop, so both modes cost at least an embedding more
    served, alone = systems["Zhiku"]["served_ms"], systems["Zhiku"]["ms"]
    assert served["p50"] > alone["p50"] and systems["Zhiku"]["served_with_graph_ms"]["p50"] > 0
    assert all(s["ms"]["p95"] > 0 and s["rss_mb"] > 0 for s in systems.values())
    # a second run reuses the built store
    build_file = tmp_path / "800" / "build.json"
    before = build_file.stat().st_mtime
    assert CliRunner().invoke(app, args).exit_code == 0 and build_file.stat().st_mtime == before


@pytest.mark.skipif(not (EVAL / "rgb_zh").exists(), reason="needs ../shared/eval (rgb_zh, cmrc2018_zh)")
@pytest.mark.timeout(600)
def test_an_interrupted_build_resumes_where_it_stopped_with_the_same_vectors(tmp_path):
    """The 1M build takes longer than a sitting: stopped after its second checkpoint, it resumes there (two
    tokenising processes), and every chunk's vectors are those an uninterrupted one-process build writes."""
    import numpy as np

    from zhiku.evaluation.search_benchmark import DIMENSION, ProjectingEmbedder, SentencePool, build_store, point_id
    from zhiku.index.edge_store import EdgeVectorStore
    from zhiku.index.sparse_encoder import JiebaBm25Encoder

    pool, sparse = SentencePool.load(EVAL), JiebaBm25Encoder()

    class Stop(Exception):
        pass

    def stop_at_2000(done, total):
        if done == 2000:
            raise Stop

    with pytest.raises(Stop):
        build_store(tmp_path / "resumed", 2500, pool, sparse, stop_at_2000, processes=2, checkpoint=1000)
    record = json.loads((tmp_path / "resumed" / "build.json").read_text())
    assert record["written"] == 2000 and not record.get("indexed")
    seen = []
    record = build_store(tmp_path / "resumed", 2500, pool, sparse, lambda done, total: seen.append(done),
                         processes=2, checkpoint=1000)
    assert seen == [2500] and record["written"] == 2500 and record["indexed"]
    build_store(tmp_path / "straight", 2500, pool, sparse, lambda done, total: None, processes=1, checkpoint=1000)

    def vectors(folder):
        store = EdgeVectorStore(folder / "chunks")
        store.ensure_collection(DIMENSION, ProjectingEmbedder.model_id)
        try:
            assert store.info().points_count == 2501  # + the schema marker
            ids = [point_id(i) for i in (0, 1999, 2000, 2499)]
            return {str(p.id): p.vector for p in store.shard.retrieve(ids, with_payload=False, with_vector=True)}
        finally:
            store.close()

    resumed, straight = vectors(tmp_path / "resumed"), vectors(tmp_path / "straight")
    assert len(resumed) == 4 and resumed.keys() == straight.keys()
    for key in resumed:
        assert np.allclose(resumed[key]["dense"], straight[key]["dense"], atol=1e-6)


@pytest.mark.skipif(not (EVAL / "rgb_zh").exists(), reason="needs ../shared/eval (rgb_zh, cmrc2018_zh)")
def test_chunk_terms_from_cached_sentences_are_the_indexers_own():
    """The build tokenises each sentence once; a chunk's terms and sparse vector must still be exactly those the
    indexer makes from the chunk's whole text (encode_chunk), or the 1M store's sparse side would not be real."""
    from zhiku.evaluation.search_benchmark import _WORK, Projector, SentencePool, _chunk_points
    from zhiku.index.chunk_terms import encode_chunk
    from zhiku.index.sparse_encoder import JiebaBm25Encoder

    pool, sparse = SentencePool.load(EVAL), JiebaBm25Encoder()
    assert all(s.endswith(("。", "！", "？", "；")) for s in pool.sentences)
    _WORK.update(pool=pool, sparse=sparse, projector=Projector())
    points = _chunk_points((0, 300)) + _chunk_points((0, 300))  # the second time from the cache
    for index, point in enumerate(points):
        text = point.payload["text"]
        vector, kept = encode_chunk(sparse, text, text)
        assert point.payload["terms"] == kept["terms"], index
        assert point.sparse.indices == vector.indices and point.sparse.values == vector.values
    assert len(pool._terms) > 1000
