"""Both Qdrant backends, one schema: the embedded edge engine and qdrant-client (local mode here)."""
import uuid

import numpy as np
import pytest

from zhiku.core.errors import ConfigurationError
from zhiku.index.edge_store import EdgeVectorStore
from zhiku.index.qdrant_client_store import QdrantClientVectorStore
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.index.vector_store import ChunkFilter, IndexPoint

TEXTS = ["个人住房贷款期限最长三十年", "信用卡年费首年免收", "理财产品风险等级为R2", "Passwords must be rotated every 90 days"]


@pytest.fixture(params=["edge", "qdrant-client"])
def make_store(request, tmp_path):
    opened = []

    def make(path_name: str = "store"):
        if request.param == "edge":
            store = EdgeVectorStore(tmp_path / path_name)
        else:
            store = QdrantClientVectorStore.for_local_path(str(tmp_path / path_name), "chunks")
        opened.append(store)
        return store

    yield make
    for store in opened:
        try:
            store.close()
        except Exception:
            pass


def _points(kb: str, version: str = "v1", principals=("*",)):
    encoder = JiebaBm25Encoder()
    points = []
    for i, text in enumerate(TEXTS):
        dense = np.zeros(8, dtype=np.float32)
        dense[i] = 1.0
        points.append(IndexPoint(str(uuid.uuid4()), dense, encoder.encode_document(text),
                                 {"kb_id": kb, "document_id": f"{kb}-d{i}", "version": version, "text": text,
                                  "file_type": "txt", "access_principals": list(principals)}))
    return points


def test_sparse_and_dense_search_with_tenant_filter(make_store):
    store = make_store()
    store.ensure_collection(8, "model-a")
    store.upsert(_points("kb1") + _points("kb2"))
    encoder = JiebaBm25Encoder()
    hits = store.search_sparse(encoder.encode_query("贷款期限"), ChunkFilter(kb_ids=["kb1"]), 10)
    assert [h.payload["text"] for h in hits] == [TEXTS[0]]
    assert hits[0].payload["kb_id"] == "kb1"
    query = np.zeros(8, dtype=np.float32)
    query[2] = 1.0
    dense_hits = store.search_dense(query, ChunkFilter(kb_ids=["kb2"]), 2)
    assert dense_hits[0].payload["text"] == TEXTS[2] and dense_hits[0].payload["kb_id"] == "kb2"
    assert dense_hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert store.count(ChunkFilter()) == 8  # the schema marker point is never counted or returned


def test_principals_versions_and_delete(make_store):
    store = make_store()
    store.ensure_collection(8, "model-a")
    store.upsert(_points("kb1", "v1", principals=("role:credit",)) + _points("kb2", "v2"))
    query = np.ones(8, dtype=np.float32)
    visible = store.search_dense(query, ChunkFilter(principals=["role:teller"]), 10)
    assert {h.payload["kb_id"] for h in visible} == {"kb2"}
    assert len(store.search_dense(query, ChunkFilter(principals=["role:credit"]), 10)) == 8
    store.delete(ChunkFilter(kb_ids=["kb2"], exclude_version="v2"))
    assert store.count(ChunkFilter()) == 8
    store.delete(ChunkFilter(document_ids=["kb1-d0"]))
    assert store.count(ChunkFilter(kb_ids=["kb1"])) == 3
    store.delete(ChunkFilter(kb_ids=["kb2"], version="v2"))
    assert store.count(ChunkFilter(kb_ids=["kb2"])) == 0


def test_admin_knowledge_bases_and_readers_changed_in_place(make_store):
    """Issue #11: a knowledge base's admin reads all its chunks; a document's readers change without re-upload."""
    store = make_store()
    store.ensure_collection(8, "model-a")
    store.upsert(_points("kb1", principals=("group:credit",)) + _points("kb2", principals=("group:credit",)))
    query = np.ones(8, dtype=np.float32)
    teller = ["user:teller"]
    assert store.search_dense(query, ChunkFilter(kb_ids=["kb1", "kb2"], principals=teller), 10) == []
    admin_of_kb1 = ChunkFilter(kb_ids=["kb1", "kb2"], principals=teller, full_access_kb_ids=["kb1"])
    assert {h.payload["kb_id"] for h in store.search_dense(query, admin_of_kb1, 10)} == {"kb1"}
    assert store.count(admin_of_kb1) == 4
    store.set_access("kb2-d1", ["user:teller"])
    seen = store.search_dense(query, ChunkFilter(kb_ids=["kb1", "kb2"], principals=teller), 10)
    assert [h.payload["document_id"] for h in seen] == ["kb2-d1"]
    assert seen[0].payload["text"] == TEXTS[1] and seen[0].payload["version"] == "v1"  # the rest of the payload kept
    assert [h.payload["document_id"] for h in store.search_sparse(
        JiebaBm25Encoder().encode_query("信用卡年费"), ChunkFilter(principals=teller), 10)] == ["kb2-d1"]
    store.set_access("kb2-d1", ["group:credit"])
    assert store.fetch(ChunkFilter(principals=teller), 10) == []


def test_reopen_keeps_data_and_refuses_another_embedder(make_store):
    store = make_store("persist")
    store.ensure_collection(8, "model-a")
    store.upsert(_points("kb1"))
    store.optimize()
    store.close()
    reopened = make_store("persist")
    reopened.ensure_collection(8, "model-a")
    assert reopened.count(ChunkFilter(kb_ids=["kb1"])) == 4
    reopened.close()
    with pytest.raises(ConfigurationError, match="model-a"):
        make_store("persist").ensure_collection(8, "model-b")


def test_edge_store_refuses_a_second_process_holder(tmp_path):
    first = EdgeVectorStore(tmp_path / "locked")
    first.ensure_collection(4, "m")
    try:
        with pytest.raises(ConfigurationError, match="another process"):
            EdgeVectorStore(tmp_path / "locked").ensure_collection(4, "m")
    finally:
        first.close()


def test_fetch_by_id_keeps_to_the_filter(make_store):
    store = make_store()
    store.ensure_collection(8, "model-a")
    kb1, kb2 = _points("kb1", principals=("role:credit",)), _points("kb2")
    store.upsert(kb1 + kb2)
    wanted = [kb1[2].point_id, kb2[0].point_id, str(uuid.uuid4())]
    found = store.fetch(ChunkFilter(point_ids=wanted), 10)
    assert {p.point_id: p.payload["text"] for p in found} == {kb1[2].point_id: TEXTS[2], kb2[0].point_id: TEXTS[0]}
    assert all(p.score == 0.0 for p in found)
    assert [p.point_id for p in store.fetch(ChunkFilter(kb_ids=["kb2"], point_ids=wanted), 10)] == [kb2[0].point_id]
    assert [p.point_id for p in store.fetch(ChunkFilter(principals=["role:teller"], point_ids=wanted), 10)] == \
        [kb2[0].point_id]  # another role's chunk is not fetched by id either
    assert len(store.fetch(ChunkFilter(), 100)) == 8  # never the schema marker


def test_readers_change_through_the_store_owner(tmp_path):
    """A worker or the CLI (not the shard's owner) re-stamps readers and sends access filters over the wire."""
    from zhiku.index.shared_edge_store import SharedEdgeStore

    owner = SharedEdgeStore(tmp_path / "shard")
    owner.ensure_collection(8, "model-a")
    other = SharedEdgeStore(tmp_path / "shard", may_own=False)
    other.ensure_collection(8, "model-a")
    try:
        assert owner.owner and not other.owner
        owner.upsert(_points("kb1", principals=("group:credit",)))
        teller = ["user:teller"]
        assert other.fetch(ChunkFilter(principals=teller), 10) == []
        assert other.count(ChunkFilter(kb_ids=["kb1"], principals=teller, full_access_kb_ids=["kb1"])) == 4
        other.set_access("kb1-d2", teller)
        assert [h.payload["document_id"] for h in owner.fetch(ChunkFilter(principals=teller), 10)] == ["kb1-d2"]
    finally:
        other.close()
        owner.close()


def test_search_ef_setting_reaches_the_dense_search(tmp_path, monkeypatch):
    """ZHIKU_EDGE_HNSW_EF is read into the store's HNSW settings and every dense search runs with it (the recall it
    buys on an indexed store is measured by docs/profiles/hnsw_filtered_recall.py, not here)."""
    from zhiku.core.settings import Settings
    from zhiku.index.edge_store import HnswSettings

    monkeypatch.setenv("ZHIKU_EDGE_HNSW_EF", "256")
    hnsw = HnswSettings.from_settings(Settings())
    assert hnsw.search_ef == 256 and hnsw.m == 16
    store = EdgeVectorStore(tmp_path / "store", hnsw=hnsw)
    try:
        store.ensure_collection(8, "model-a")
        store.upsert(_points("kb1"))
        query = np.zeros(8, dtype=np.float32)
        query[1] = 1.0
        hits = store.search_dense(query, ChunkFilter(kb_ids=["kb1"]), 2)
        assert [h.payload["text"] for h in hits][0] == TEXTS[1]
        assert [h.point_id for h in hits] == [h.point_id for h in store.search_dense(query, ChunkFilter(kb_ids=["kb1"]),
                                                                                      2, exact=True)]
    finally:
        store.close()
