"""The graph shows only what readable documents state (issue #11): entities mentioned in them, facts they
support, provenance among them, and walks (expansion, paths) that never cross a fact only a hidden document
supports. Against the session's real Bolt server (ArcadeDB, or ZHIKU_TEST_NEO4J_URI)."""
from __future__ import annotations

import uuid

from zhiku.graph.graph_store import ChunkFacts, EntityInput as E, RelationInput as R
from tests.test_graph_store import kbs  # noqa: F401 - the fixture


def _doc() -> str:
    return f"doc-{uuid.uuid4().hex[:10]}"


def test_hidden_documents_hide_their_entities_facts_and_paths(store, kbs):  # noqa: F811
    kb = kbs()
    public, secret = _doc(), _doc()
    # public: 甲 guarantees 乙. secret: 乙 owes 丙 (丙 is named only there), 甲's 法定代表人 is 王五.
    store.write_chunk_facts(kb, public, 1, [ChunkFacts("p1", [E("甲公司", "ORG"), E("乙公司", "ORG")],
                                                       [R("甲公司", "担保", "乙公司")])])
    store.write_chunk_facts(kb, secret, 1, [
        ChunkFacts("s1", [E("乙公司", "ORG"), E("丙公司", "ORG")], [R("乙公司", "欠款", "丙公司")]),
        ChunkFacts("s2", [E("甲公司", "ORG"), E("王五", "PERSON")], [R("王五", "法定代表人", "甲公司")])])
    readable = [public]
    # the secret document also calls 甲公司 "甲集团": an alias only it uses
    store.write_chunk_facts(kb, secret, 1, [
        ChunkFacts("s1", [E("乙公司", "ORG"), E("丙公司", "ORG")], [R("乙公司", "欠款", "丙公司")]),
        ChunkFacts("s2", [E("甲公司", "ORG", ("甲集团",)), E("王五", "PERSON")], [R("王五", "法定代表人", "甲集团")])])

    everything = {e.name for e in store.search_entities([kb], "公司", 20)}
    assert everything == {"甲公司", "乙公司", "丙公司"}
    seen = store.search_entities([kb], "公司", 20, document_ids=readable)
    assert {e.name for e in seen} == {"甲公司", "乙公司"}
    assert all(e.provenance.document_ids == [public] for e in seen)
    assert store.find_entities([kb], ["丙公司", "王五"], document_ids=readable) == []
    assert store.search_entities([kb], "丙", 20, document_ids=[]) == []
    jia = store.find_entities([kb], ["甲公司"])[0]
    assert "甲集团" in jia.aliases and jia.mentions == 2
    shown = store.find_entities([kb], ["甲公司"], document_ids=readable)[0]
    assert shown.aliases == [] and shown.mentions == 1
    assert store.search_entities([kb], "甲集团", 20, document_ids=readable) == []
    assert store.find_entities([kb], ["甲集团"], document_ids=readable) == []

    a = next(e.key for e in seen if e.name == "甲公司")
    b = next(e.key for e in seen if e.name == "乙公司")
    c = store.find_entities([kb], ["丙公司"])[0].key
    detail = store.entity_detail([kb], a, document_ids=readable)
    assert {r.type for r in detail.relations} == {"担保"}
    assert {n.name for n in detail.neighbours} == {"乙公司"}
    assert {r.type for r in store.entity_detail([kb], a).relations} == {"担保", "法定代表人"}
    assert store.entity_detail([kb], c, document_ids=readable) is None

    walked = store.expand([kb], [a], max_hops=3, document_ids=readable)
    assert set(walked.entities) == {a, b}
    assert {r.type for r in walked.relations.values()} == {"担保"}
    assert c in store.expand([kb], [a], max_hops=3).entities  # unrestricted, the secret fact leads on

    assert store.path_between([kb], a, c, 3).paths  # through the secret fact
    assert store.path_between([kb], a, c, 3, document_ids=readable).paths == []
    found = store.path_between([kb], a, b, 3, document_ids=readable)
    assert found.paths and found.paths[0].entity_keys == [a, b]
    # Made readable, the secret document's facts appear at once (nothing is rewritten in the graph).
    assert store.path_between([kb], a, c, 3, document_ids=[public, secret]).paths
