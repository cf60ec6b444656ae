"""The linker's entity name index (graph/entity_names.py) answers fuzzy lookups as the graph server's scan does —
same entities, same order, same access rules — with one batched fetch instead of a scan and a provenance query
per lookup. Against the session's real Bolt server."""
from __future__ import annotations

import uuid
from dataclasses import replace

from zhiku.graph.entity_linker import EntityLinker
from zhiku.graph.entity_names import EntityNameIndex
from zhiku.graph.graph_store import ChunkFacts, EntityInput as E, RelationInput as R, write_generation
from tests.test_graph_store import kbs  # noqa: F401 - the fixture

TEXTS = ["公司", "甲", "集团", "银行", "南宁", "Bank", "中国工商", "不存在的名字", "甲集团"]


def _doc() -> str:
    return f"doc-{uuid.uuid4().hex[:10]}"


def _same(a, b) -> bool:
    return [(h.key, h.name, sorted(h.aliases), h.mentions, h.provenance.chunk_ids) for h in a] == \
           [(h.key, h.name, sorted(h.aliases), h.mentions, h.provenance.chunk_ids) for h in b]


def _write(store, kb):
    public, secret = _doc(), _doc()
    store.write_chunk_facts(kb, public, 1, [
        ChunkFacts("p1", [E("甲公司", "ORG"), E("乙公司", "ORG"), E("中国工商银行", "ORG", ("工行", "ICBC"))],
                   [R("甲公司", "担保", "乙公司")]),
        ChunkFacts("p2", [E("甲公司", "ORG"), E("南宁国际铁路港", "ORG"), E("Bank of Nanning", "ORG")], [])])
    store.write_chunk_facts(kb, secret, 1, [
        ChunkFacts("s1", [E("甲公司", "ORG", ("甲集团",)), E("丙公司", "ORG"), E("南宁银行", "ORG")],
                   [R("甲公司", "欠款", "丙公司")])])
    return public, secret


def test_the_index_finds_what_the_servers_scan_finds_in_the_same_order(store, kbs):  # noqa: F811
    kb, other = kbs(), kbs()
    public, _ = _write(store, kb)
    store.write_chunk_facts(other, _doc(), 1, [ChunkFacts("o1", [E("丁公司", "ORG")], [])])
    index = EntityNameIndex(store)
    assert index.wait_loaded([kb, other])
    for kb_ids in ([kb], [kb, other]):
        for documents in (None, [public], []):
            found = index.search_many(kb_ids, TEXTS, 20, documents)
            for text, hits in zip(TEXTS, found):
                assert _same(hits, store.search_entities(kb_ids, text, 20, document_ids=documents)), (text, documents)
            limited = index.search_many(kb_ids, ["公司"], 2, documents)[0]
            assert _same(limited, store.search_entities(kb_ids, "公司", 2, document_ids=documents))


def test_a_write_in_this_process_is_seen_at_once_and_a_removed_entity_is_not_returned(store, kbs):  # noqa: F811
    kb = kbs()
    public, secret = _write(store, kb)
    index = EntityNameIndex(store)
    assert index.wait_loaded([kb])
    store.write_chunk_facts(kb, _doc(), 1, [ChunkFacts("n1", [E("戊控股公司", "ORG")], [])])
    assert "戊控股公司" in {h.name for h in index.search_many([kb], ["控股"])[0]}  # the server's scan, meanwhile
    assert index.wait_loaded([kb])
    assert "戊控股公司" in {h.name for h in index.search_many([kb], ["控股"])[0]}  # read again
    # removed through another path than this process's writes (as another process would): never returned
    loaded = index._names[kb]
    store.remove_document(secret)
    # the names as read before the removal, taken for current
    index._names[kb] = replace(loaded, generation=write_generation())
    assert "丙公司" not in {h.name for h in index.search_many([kb], ["公司"])[0]}


def test_the_linker_makes_one_batched_fetch_for_its_fuzzy_lookups(store, kbs):  # noqa: F811
    kb = kbs()
    _write(store, kb)
    reads: list[str] = []
    original = store._read

    def counting(cypher, **params):
        reads.append(cypher)
        return original(cypher, **params)

    indexed, scanning = EntityLinker(store), EntityLinker(store, name_index=False)
    assert indexed.name_index.wait_loaded([kb])
    query = "工商银行 南宁 集团"  # three fuzzy lookups
    store._read = counting
    try:
        with_index = indexed.link([kb], query)
        index_reads, reads[:] = len(reads), []
        without = scanning.link([kb], query)
        scan_reads = len(reads)
    finally:
        store._read = original
    assert [(e.key, e.how, e.score) for e in with_index] == [(e.key, e.how, e.score) for e in without]
    assert any(e.how == "fuzzy" for e in with_index)
    assert index_reads == 0 and scan_reads > 0  # an unrestricted caller's linking is answered by the index


def _entity_fields(hits) -> list:
    return [(h.key, h.kb_id, h.name, h.type, sorted(h.aliases), h.mentions) for h in hits]


def test_the_index_answers_the_exact_lookup_and_the_fetch_as_the_graph_does(store, kbs):  # noqa: F811
    kb, other = kbs(), kbs()
    _write(store, kb)
    store.write_chunk_facts(other, _doc(), 1, [ChunkFacts("o1", [E("甲公司", "ORG"), E("丁公司", "ORG")], [])])
    index = EntityNameIndex(store)
    assert index.wait_loaded([kb, other])
    names = ["甲公司", "甲集团", "工行", "icbc", "ICBC", "Bank of Nanning", "不存在", "南宁"]
    for kb_ids in ([kb], [kb, other], [other]):
        planned = index.plan(kb_ids, ["公司", "银行", "Nanning"])
        keys = index.first_batch(planned.ordered, 20, None)
        named, keyed = index.lookup(names, keys, 256, planned)
        server_named, server_keyed = store.lookup_entities(kb_ids, names, keys, limit=256)
        assert _entity_fields(named) == _entity_fields(server_named)
        assert sorted(_entity_fields(keyed)) == sorted(_entity_fields(server_keyed))
        assert {h.kb_id for h in named + keyed} <= set(kb_ids)  # only the knowledge bases asked for
    assert len(index.lookup(["甲公司"], [], 1, index.plan([kb, other], []))[0]) == 1  # the limit, most mentioned first


def test_another_processs_writes_and_deletes_reach_the_linker_within_a_poll(store, kbs):  # noqa: F811
    """Another process's write (this process's counter held still, as the existing test does) moves the knowledge
    base's change counters: within a poll the index stops answering from its old names, and the linker links a name
    written a moment ago, then no longer links an entity deleted a moment ago."""
    import time

    from zhiku.graph import graph_store

    kb = kbs()
    _write(store, kb)
    linker = EntityLinker(store, name_index=EntityNameIndex(store, poll_seconds=0.05))
    assert linker.name_index.wait_loaded([kb])
    assert not linker.link([kb], "戊控股公司的股东")

    def elsewhere(write):
        before = graph_store.write_generation()
        write()
        graph_store._WRITES[0] = before  # as if another process had written: this process's counter does not move

    document = _doc()
    elsewhere(lambda: store.write_chunk_facts(kb, document, 1, [ChunkFacts("n1", [E("戊控股公司", "ORG")], [])]))
    deadline, linked = time.monotonic() + 10, []
    while time.monotonic() < deadline and not linked:
        linked = [e.name for e in linker.link([kb], "戊控股公司的股东")]
        time.sleep(0.02)
    assert linked == ["戊控股公司"]
    elsewhere(lambda: store.remove_document(document))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and linked:
        linked = [e.name for e in linker.link([kb], "戊控股公司的股东")]
        time.sleep(0.02)
    assert not linked
    assert linker.name_index.wait_loaded([kb])  # read again: the index answers once more
    assert not linker.link([kb], "戊控股公司的股东")


def test_an_aged_index_is_read_again_only_when_the_knowledge_base_changed(store, kbs):  # noqa: F811
    """Once max_age has passed the index asks the server for a one-row signature and keeps its names when it is
    unchanged; a write by another process (one that does not move this process's write counter) changes the
    signature, and the names are read again."""
    import time

    from zhiku.graph import graph_store

    kb = kbs()
    _write(store, kb)
    index = EntityNameIndex(store, max_age=0.0)
    assert index.wait_loaded([kb])
    first = index._names[kb]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and index._names[kb].loaded_at == first.loaded_at:
        index._fresh(kb)
        time.sleep(0.05)
    assert index._names[kb] is first and first.loaded_at > 0  # aged and checked, not read again

    before = graph_store.write_generation()
    store.write_chunk_facts(kb, _doc(), 1, [ChunkFacts("x1", [E("丁公司", "ORG")], [])])
    graph_store._WRITES[0] = before  # as if another process had written: this process's counter does not move
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and index._names[kb] is first:
        index._fresh(kb)
        time.sleep(0.05)
    assert index._names[kb] is not first
    assert "丁公司" in index._names[kb].blob
