"""Graph store against a real Bolt server: ArcadeDB's Bolt plugin started by graph.bolt_server, or the
Neo4j (or other Bolt server) at ZHIKU_TEST_NEO4J_URI (with ZHIKU_TEST_NEO4J_USER, _PASSWORD, _DATABASE).

Every test works in knowledge bases of its own (random ids) and removes them afterwards, so the
tests also run against a shared server.
"""
from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator

import pytest

from zhiku.graph.bolt_server import BoltServerError, EmbeddedBoltServer, main as server_main
from zhiku.graph.graph_store import (MAX_NAME_CHARS, ChunkFacts, EntityInput as E, GraphStore,
                               RelationInput as R)


INJECTIONS = [
    '"}) MATCH (n) DETACH DELETE n //',
    "'}) MATCH (n) DETACH DELETE n //",
    "x` DETACH DELETE n //",
    'back\\slash \\" \\\' end\\',
    "$kb_id {key: 'x'} ]->() RETURN 1 //",
]


@pytest.fixture
def kbs(store) -> Iterator[callable]:
    """Fresh knowledge-base ids, removed from the graph after the test."""
    created: list[str] = []

    def new() -> str:
        created.append(f"kb-{uuid.uuid4().hex[:10]}")
        return created[-1]

    yield new
    for kb in created:
        store.remove_kb(kb)


def doc() -> str:
    return f"doc-{uuid.uuid4().hex[:10]}"


def key_of(store: GraphStore, kb: str, name: str) -> str:
    hits = store.find_entities([kb], [name])
    assert len(hits) == 1, (name, hits)
    return hits[0].key


def relation_types(store: GraphStore, kb: str, name: str) -> dict[str, list[str]]:
    """relation type -> sorted supporting document ids, for the entity called `name`."""
    detail = store.entity_detail([kb], key_of(store, kb, name))
    return {r.type: sorted(r.provenance.document_ids) for r in detail.relations}


def count_all(store: GraphStore, kb_ids: list[str]) -> int:
    return store._read("MATCH (n) WHERE n.kb_id IN $kbs RETURN count(n) AS n", kbs=kb_ids)[0]["n"]


GUARANTEE = [ChunkFacts("c1", [E("甲公司", "ORG", ("A Co",)), E("乙公司", "ORG")], [R("A Co", "担保", "乙公司")]),
             ChunkFacts("c2", [E("乙公司", "ORG"), E("张三", "PERSON")], [R("张三", "法定代表人", "乙公司")])]


# --- the server lifecycle -------------------------------------------------------------------------
def test_server_is_reused_through_its_pid_file(bolt_server, store):
    server = bolt_server["server"]
    if server is None:
        pytest.skip("external Bolt server")
    other = EmbeddedBoltServer(server.data_dir)
    info = other.start()
    assert info.pid == server.info.pid and info.port == server.info.port
    assert not other.launched and other.stop() is False  # a borrower leaves it running
    assert store.ping()
    assert server_main(["status", "--data-dir", str(server.data_dir)]) == 0
    rss = server.rss_bytes()
    assert rss is None or rss < 1.5 * 2**30


def test_server_refuses_a_busy_port_with_a_clear_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(BoltServerError, match=f"port {port}.*already in use"):
            EmbeddedBoltServer(tmp_path / "g", port=port).start()
    assert server_main(["status", "--data-dir", str(tmp_path / "g")]) == 3


# --- writes ---------------------------------------------------------------------------------------
def test_rewriting_the_same_version_changes_nothing(store, kbs):
    kb, d = kbs(), doc()
    first = store.write_chunk_facts(kb, d, 1, GUARANTEE)
    before = store.stats(kb)
    second = store.write_chunk_facts(kb, d, 1, GUARANTEE)
    assert (before.entities, before.relations, before.chunks, before.documents) == (3, 2, 2, 1)
    assert store.stats(kb) == before
    assert (first.entities, first.relations) == (second.entities, second.relations) == (3, 2)
    assert count_all(store, [kb]) == 3 + 2 + 2 + 4  # entities, facts, chunks, aliases (甲公司, a co, 乙公司, 张三)
    a = store.find_entities([kb], ["甲公司"])[0]
    assert a.aliases == ["A Co"] and a.mentions == 1
    assert relation_types(store, kb, "乙公司") == {"担保": [d], "法定代表人": [d]}
    assert store.entity_detail([kb], a.key).relations[0].support == 1


def test_a_new_version_replaces_the_old_one(store, kbs):
    kb, d = kbs(), doc()
    store.write_chunk_facts(kb, d, 1, GUARANTEE)
    store.write_chunk_facts(kb, d, 2, [ChunkFacts("v2-c1", [E("甲公司", "ORG"), E("丙公司", "ORG")],
                                                  [R("甲公司", "担保", "丙公司")])])
    stats = store.stats(kb)
    assert (stats.entities, stats.relations, stats.chunks, stats.documents) == (2, 1, 1, 1)
    assert store.find_entities([kb], ["乙公司"]) == [] and store.find_entities([kb], ["张三"]) == []
    assert store.find_entities([kb], ["A Co"]) == []  # the alias came only from version 1
    a = store.find_entities([kb], ["甲公司"])[0]
    assert a.aliases == [] and a.provenance.chunk_ids == ["v2-c1"]
    assert relation_types(store, kb, "甲公司") == {"担保": [d]}


def test_removing_a_document_keeps_shared_facts_and_drops_exclusive_ones(store, kbs):
    kb, d1, d2 = kbs(), doc(), doc()
    store.write_chunk_facts(kb, d1, 1, [
        ChunkFacts("a", [E("甲公司", "ORG"), E("乙公司", "ORG")], [R("甲公司", "担保", "乙公司")]),
        ChunkFacts("b", [E("甲公司", "ORG", ("甲",)), E("李四", "PERSON")], [R("李四", "法定代表人", "甲公司")])])
    store.write_chunk_facts(kb, d2, 1, [
        ChunkFacts("a", [E("甲公司", "ORG"), E("乙公司", "ORG")], [R("甲公司", "担保", "乙公司")])])
    guarantee = store.entity_detail([kb], key_of(store, kb, "乙公司")).relations[0]
    assert guarantee.support == 2 and sorted(guarantee.provenance.document_ids) == sorted([d1, d2])

    result = store.remove_document(d1)
    assert (result.chunks, result.removed_entities, result.removed_relations) == (2, 1, 1)
    assert store.find_entities([kb], ["李四"]) == [] and store.find_entities([kb], ["甲"]) == []
    detail = store.entity_detail([kb], key_of(store, kb, "甲公司"))
    assert [(r.type, r.support, r.provenance.document_ids) for r in detail.relations] == [("担保", 1, [d2])]
    assert detail.entity.provenance.document_ids == [d2] and detail.entity.mentions == 1
    stats = store.stats(kb)
    assert (stats.entities, stats.relations, stats.chunks, stats.documents) == (2, 1, 1, 1)
    store.remove_document(d2)
    assert count_all(store, [kb]) == 0


def test_a_relation_naming_an_unlisted_entity_is_refused_and_nothing_is_written(store, kbs):
    kb = kbs()
    with pytest.raises(ValueError, match="not listed"):
        store.write_chunk_facts(kb, doc(), 1, [ChunkFacts("c", [E("甲公司", "ORG")], [R("甲公司", "担保", "某人")])])
    assert count_all(store, [kb]) == 0


def test_knowledge_bases_are_isolated(store, kbs):
    kb1, kb2 = kbs(), kbs()
    store.write_chunk_facts(kb1, doc(), 1, GUARANTEE)
    store.write_chunk_facts(kb2, doc(), 1, GUARANTEE)
    k1, k2 = key_of(store, kb1, "甲公司"), key_of(store, kb2, "甲公司")
    assert k1 != k2
    assert [h.kb_id for h in store.find_entities([kb1, kb2], ["甲公司"])] in ([kb1, kb2], [kb2, kb1])
    assert store.entity_detail([kb2], k1) is None
    assert store.expand([kb2], [k1]).paths == []
    assert store.path_between([kb2], k1, key_of(store, kb1, "张三")).paths == []
    assert all(h.kb_id == kb1 for h in store.search_entities([kb1], "公司"))
    store.remove_kb(kb1)
    assert count_all(store, [kb1]) == 0
    assert store.stats(kb2).entities == 3 and store.expand([kb2], [k2], max_hops=2).paths


def test_injection_strings_are_stored_and_found_verbatim(store, kbs):
    kb, bystander = kbs(), kbs()
    store.write_chunk_facts(bystander, doc(), 1, GUARANTEE)
    bystander_nodes = count_all(store, [bystander])
    facts = [ChunkFacts(f"chunk-{i}\"'", [E(name, "ORG'}) //", (name + " alias",)), E("乙公司", "ORG")],
                        [R(name, "]->(x) DETACH DELETE x //", "乙公司")])
             for i, name in enumerate(INJECTIONS)]
    store.write_chunk_facts(kb, doc() + "'\"", 1, facts)
    for i, name in enumerate(INJECTIONS):
        hits = store.find_entities([kb], [name])
        assert [(h.name, h.type, h.aliases) for h in hits] == [(name, "ORG'}) //", [name + " alias"])]
        assert hits[0].provenance.chunk_ids == [f"chunk-{i}\"'"]
        assert [h.name for h in store.search_entities([kb], name)] == [name]
        relation = store.entity_detail([kb], hits[0].key).relations[0]
        assert relation.type == "]->(x) DETACH DELETE x //"
    for query in INJECTIONS:  # as queries against the other knowledge base: nothing found, nothing touched
        assert store.find_entities([bystander], [query]) == []
        assert store.search_entities([bystander], query) == []
    assert store.search_entities([kb], "\\") and store.search_entities([kb], "'}")
    assert count_all(store, [bystander]) == bystander_nodes
    assert store.stats(kb).entities == len(INJECTIONS) + 1


def test_names_beyond_the_limit_are_refused(store, kbs):
    kb = kbs()
    longest = "长" * MAX_NAME_CHARS
    with pytest.raises(ValueError, match=f"limit is {MAX_NAME_CHARS}"):
        E(longest + "长", "ORG")
    with pytest.raises(ValueError, match="limit"):
        E("ok", "ORG", aliases=("x" * (MAX_NAME_CHARS + 1),))
    with pytest.raises(ValueError, match="empty"):
        E("   ", "ORG")
    store.write_chunk_facts(kb, doc(), 1, [ChunkFacts("c", [E(longest, "ORG")])])
    assert [h.name for h in store.find_entities([kb], [longest])] == [longest]
    assert store.find_entities([kb], [longest + "长"]) == [] and store.search_entities([kb], "x" * 10_000) == []


def test_the_same_entity_named_in_chinese_and_english_is_one_node(store, kbs):
    kb, zh, en = kbs(), doc(), doc()
    store.write_chunk_facts(kb, zh, 1, [ChunkFacts("zh-1", [E("中国工商银行", "ORG", ("工行",), key="icbc"),
                                                            E("甲公司", "ORG")],
                                                   [R("工行", "贷款给", "甲公司")])])
    store.write_chunk_facts(kb, en, 1, [ChunkFacts("en-1", [
        E("Industrial and Commercial Bank of China", "ORG", ("ICBC",), key="icbc"), E("Company A", "ORG")],
        [R("ICBC", "lends to", "Company A")])])
    keys = {h.key for name in ("中国工商银行", "工行", "icbc", "INDUSTRIAL and commercial bank of china")
            for h in store.find_entities([kb], [name])}
    assert len(keys) == 1
    bank = store.get_entities([kb], list(keys))[0]
    assert bank.name == "中国工商银行" and bank.mentions == 2
    assert set(bank.aliases) == {"工行", "Industrial and Commercial Bank of China", "ICBC"}
    assert sorted(bank.provenance.document_ids) == sorted([zh, en])
    assert relation_types(store, kb, "ICBC") == {"贷款给": [zh], "lends to": [en]}
    store.remove_document(zh)
    bank = store.find_entities([kb], ["ICBC"])[0]
    assert bank.name == "Industrial and Commercial Bank of China" and bank.aliases == ["ICBC"]
    assert store.find_entities([kb], ["工行"]) == []


# --- traversal ------------------------------------------------------------------------------------
def test_expand_from_a_hub_stays_bounded(store, kbs):
    kb, d = kbs(), doc()
    spokes = 2000
    chunks = []
    for start in range(0, spokes, 250):  # 8 chunks of 250 guarantees each
        names = [f"客户{i:04d}" for i in range(start, start + 250)]
        chunks.append(ChunkFacts(f"hub-{start}", [E("枢纽银行", "ORG")] + [E(n, "ORG") for n in names],
                                 [R("枢纽银行", "担保", n) for n in names]))
    # three spokes stated twice: they must come first (best supported)
    strong = ["客户0500", "客户1500", "客户1999"]
    chunks.append(ChunkFacts("hub-strong", [E("枢纽银行", "ORG")] + [E(n, "ORG") for n in strong]
                             + [E("二级客户", "ORG")],
                             [R("枢纽银行", "担保", n) for n in strong] + [R("客户0500", "担保", "二级客户")]))
    store.write_chunk_facts(kb, d, 1, chunks)
    assert store.stats(kb).relations == spokes + 1
    hub = key_of(store, kb, "枢纽银行")

    started = time.perf_counter()
    result = store.expand([kb], [hub], max_hops=2, fan_out_cap=10, limit=50)
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"expand took {elapsed:.1f} s"
    first_hop = [p for p in result.paths if len(p.entity_keys) == 2]
    assert len(first_hop) == 10
    names = {result.entities[p.entity_keys[1]].name for p in first_hop}
    assert set(strong) <= names
    assert "二级客户" in {e.name for e in result.entities.values()}  # reached through 客户0500 on hop 2
    assert len(result.entities) <= 50 and len(result.relations) <= 50
    for relation in result.relations.values():
        assert relation.provenance.document_ids == [d] and relation.provenance.chunk_ids
    strong_relation = next(r for r in result.relations.values()
                           if result.entities.get(r.object_key) and result.entities[r.object_key].name == "客户1500")
    assert strong_relation.support == 2 and strong_relation.provenance.chunk_ids == ["hub-1500", "hub-strong"]

    detail = store.entity_detail([kb], hub, limit=25)
    assert len(detail.relations) == 25 and len(detail.neighbours) == 25
    assert detail.entity.mentions == 9


def test_path_between_finds_a_two_hop_path_with_its_evidence(store, kbs):
    kb, d = kbs(), doc()
    store.write_chunk_facts(kb, d, 1, GUARANTEE + [ChunkFacts("c3", [E("丁公司", "ORG")])])
    a, z = key_of(store, kb, "甲公司"), key_of(store, kb, "张三")
    result = store.path_between([kb], a, z, max_hops=3)
    assert len(result.paths) == 1
    path = result.paths[0]
    assert [result.entities[k].name for k in path.entity_keys] == ["甲公司", "乙公司", "张三"]
    assert [result.relations[k].type for k in path.relation_keys] == ["担保", "法定代表人"]
    assert [result.relations[k].provenance.chunk_ids for k in path.relation_keys] == [["c1"], ["c2"]]
    assert store.path_between([kb], a, z, max_hops=1).paths == []
    assert store.path_between([kb], a, key_of(store, kb, "丁公司")).paths == []
    with pytest.raises(ValueError):
        store.path_between([kb], a, z, max_hops=0)
