"""Query embedding: repeated queries cost no model call, and a query never waits behind an ingestion batch."""
from __future__ import annotations

import threading

import numpy as np


def test_repeated_queries_come_from_the_cache(shared_embedder):
    from zhiku.index.query_embedding import QueryEmbedding

    queries = QueryEmbedding(shared_embedder, cache_size=2)
    first = queries.embed("房贷最长期限")
    assert queries.embed("房贷最长期限") is first and (queries.hits, queries.misses) == (1, 1)
    assert np.allclose(first, shared_embedder.embed_query("房贷最长期限"))
    queries.embed("信用卡年费")
    queries.embed("理财产品风险等级")  # the oldest entry makes room
    assert queries.embed("房贷最长期限") is not first and queries.misses == 4
    assert queries.latency_ms()["count"] == 4
    queries.close()


def test_a_query_does_not_wait_for_an_ingestion_batch(tmp_path):
    from zhiku.core.settings import Settings
    from zhiku.index.factory import build_caching_embedder

    embedder = build_caching_embedder(Settings(_env_file=None, data_dir=tmp_path))
    assert embedder.queries._model is not embedder.inner  # a model instance of its own
    embedder.embed_query("预热")  # load both models
    embedder.inner.embed_passages(["预热"])
    batch = threading.Thread(target=embedder.embed_passages,
                             args=([f"第{i}条 个人住房贷款首付比例不低于百分之二十，期限最长三十年。" * 4 for i in range(96)],))
    batch.start()
    try:
        while not embedder.inner._lock.locked():  # the batch holds the passage model
            pass
        embedder.embed_query("首付比例是多少")
        assert batch.is_alive(), "the query should have been answered while the batch was still running"
    finally:
        batch.join()
        embedder.close()
