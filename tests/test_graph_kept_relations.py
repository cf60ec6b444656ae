"""Each entity keeps its best relations on its node, so the walk reads a bounded number of relations per entity (issue
#14 point 5: a hub of hundreds of relations cost the graph server all of them per search). Against the session's real
Bolt server: the kept lists are the KEPT_RELATIONS best (support, then key) after writes, re-ingests and deletes; the
walk returns what reading every RELATES edge returns, without reading them; a graph written before the lists existed
is walked the old way until `ensure_schema` migrates it; the bulk load stores the same lists
(tests/test_graph_bulk_load.py compares them through `_dump`). Each fact likewise keeps its first SUPPORT_KEPT
chunks, and each entity the chunks of its kept relations supported by at most KEPT_CHUNK_SUPPORT, so the walk reads
every relation's chunks in its one query (a relation supported by more, from its fact in the same query)."""
from __future__ import annotations

import uuid

from neo4j import GraphDatabase

from zhiku.evaluation.graph_bulk_load import _kept_relations
from zhiku.graph.graph_store import (KEPT_CHUNK_SUPPORT, KEPT_RELATIONS, SUPPORT_KEPT, ChunkFacts, EntityInput as E,
                                     GraphStore, RelationInput as R)
from tests.test_graph_store import kbs  # noqa: F401 - the fixture

HUB = "枢纽银行"
RELATIONS = KEPT_RELATIONS + 20  # the hub's: more than it keeps


def _company(i: int) -> str:
    return f"第{i:03d}号公司"


def _write(store: GraphStore, kb: str) -> list[str]:
    """The hub lends to RELATIONS companies; the loan to company i is stated in documents 0..i % 5 (support
    i % 5 + 1, so supports tie and the key decides); each company has a guarantor (document g, its second hop)."""
    documents = [f"d{k}-{uuid.uuid4().hex[:6]}" for k in range(5)]
    for k, document in enumerate(documents):
        store.write_chunk_facts(kb, document, 1, [
            ChunkFacts(f"{document}-c{i}", [E(HUB, "ORG"), E(_company(i), "ORG")], [R(HUB, "贷款给", _company(i))])
            for i in range(RELATIONS) if i % 5 >= k])
    store.write_chunk_facts(kb, "g", 1, [
        ChunkFacts(f"g{i}", [E(_company(i), "ORG"), E(f"担保人{i % 7}", "PERSON")],
                   [R(f"担保人{i % 7}", "担保", _company(i))]) for i in range(RELATIONS)])
    return documents


def _key(store: GraphStore, kb: str, name: str) -> str:
    (hit,) = store.find_entities([kb], [name])
    return hit.key


def _kept(store: GraphStore, key: str) -> list[tuple]:
    (row,) = store._read("MATCH (e:Entity {key: $k}) RETURN e.kept_rkey AS r, e.kept_rtype AS t, "
                         "e.kept_target AS x, e.kept_forward AS f, e.kept_support AS s", k=key)
    return list(zip(row["r"] or [], row["t"] or [], row["x"] or [], row["f"] or [], row["s"] or []))


def _best(store: GraphStore, key: str) -> list[tuple]:
    """The entity's KEPT_RELATIONS best relations read from its RELATES edges (what the kept lists must be)."""
    rows = store._read("MATCH (e:Entity {key: $k})-[r:RELATES]-(m:Entity) RETURN r.key AS r, r.type AS t, m.key AS x, "
                       "startNode(r) = e AS f, r.support AS s", k=key)
    return [(r["r"], r["t"], r["x"], r["f"], r["s"]) for r in sorted(rows, key=lambda r: (-r["s"], r["r"]))][
        :KEPT_RELATIONS]


def _kept_chunks(store: GraphStore, kb: str) -> tuple[dict, dict]:
    """Every entity's kept chunk lists as stored, by relation, and what its kept relations' facts say they must be
    (the fact's kept chunks when it is supported by at most KEPT_CHUNK_SUPPORT chunks, else none)."""
    facts = {r["key"]: (r["support"], list(r["chunks"] or []), list(r["documents"] or [])) for r in store._read(
        "MATCH (f:Fact) WHERE f.kb_id = $kb RETURN f.key AS key, f.support AS support, f.support_chunks AS chunks, "
        "f.support_documents AS documents", kb=kb)}
    stored, expected = {}, {}
    for r in store._read("MATCH (e:Entity) WHERE e.kb_id = $kb RETURN e.key AS key, e.kept_rkey AS rkey, "
                         "e.kept_chunk AS chunk, e.kept_document AS document, e.kept_from AS start", kb=kb):
        start = r["start"]
        assert len(start) == len(r["rkey"]) + 1 and start[-1] == len(r["chunk"]) == len(r["document"])
        stored[r["key"]] = [(k, r["chunk"][a:b], r["document"][a:b]) for k, a, b in zip(r["rkey"], start, start[1:])]
        expected[r["key"]] = [(k, *(facts[k][1:] if facts[k][0] <= KEPT_CHUNK_SUPPORT else ([], [])))
                              for k in r["rkey"]]
    return stored, expected


def _walked(store: GraphStore, kb: str, seeds: list[str], **kwargs) -> tuple:
    result = store.walk([kb], seeds, **kwargs)
    return ([(p.entity_keys, p.relation_keys) for p in result.paths],
            {k: (r.type, r.subject_key, r.object_key, r.support, r.provenance.chunk_ids, r.provenance.total,
                 r.provenance.document_ids)
             for k, r in result.relations.items()},
            {k: (e.name, e.type, e.mentions) for k, e in result.entities.items()})


class _Reads:
    """The store's queries' text, and the result of reading every RELATES edge instead (the walk before)."""

    def __init__(self, store: GraphStore):
        self.store, self.original, self.queries = store, store._read, []

    def __enter__(self):
        def recorded(cypher, **params):
            self.queries.append(cypher)
            return self.original(cypher, **params)
        self.store._read = recorded
        return self

    def __exit__(self, *exc):
        self.store._read = self.original


def _full_walk(store: GraphStore, kb: str, seeds: list[str], **kwargs) -> tuple:
    """The walk reading every RELATES edge (as before the kept lists): a graph not marked as migrated."""
    saved = store._kept
    store._kept = (False, float("inf"))
    try:
        with _Reads(store) as reads:
            walked = _walked(store, kb, seeds, **kwargs)
        assert any(":RELATES]" in q for q in reads.queries)
        return walked
    finally:
        store._kept = saved


def test_a_hub_keeps_its_best_relations_and_the_walk_reads_only_those(store, kbs):  # noqa: F811
    kb = kbs()
    documents = _write(store, kb)
    hub, company = _key(store, kb, HUB), _key(store, kb, _company(3))
    kept = _kept(store, hub)
    assert len(kept) == KEPT_RELATIONS and kept == _best(store, hub)
    assert [s for *_, s in kept] == sorted((s for *_, s in kept), reverse=True) and kept[0][4] == 5
    assert _kept(store, company) == _best(store, company) and len(_kept(store, company)) == 2

    # seeds: a company (its hop to the hub, then the hub's best loans as the second hop) and a guarantor
    seeds = [company, _key(store, kb, "担保人2")]
    for kwargs in ({}, {"fan_out_cap": 5}, {"fan_out_cap": 20, "later_cap": 7, "limit": 30},
                   {"max_hops": 3, "fan_out_cap": 4}, {"max_hops": 1}):
        with _Reads(store) as reads:
            walked = _walked(store, kb, seeds, **kwargs)
        assert not any(":RELATES]" in q for q in reads.queries), kwargs  # the edges are not read
        assert walked == _full_walk(store, kb, seeds, **kwargs), kwargs
    assert len(walked[0]) > 0

    # the walk reads the nodes' lists, not the edges: an edge's support changed behind the store's back is not seen
    (weakest,) = [r for r in store._read("MATCH (h:Entity {key: $h})-[r:RELATES]->(m:Entity) "
                                         "WHERE r.support = 2 RETURN r.key AS k, m.name AS name", h=hub)
                  if r["k"] not in {k[0] for k in kept}][:1]  # support 2, not kept (a key after the kept ones)
    with store._session() as session:
        session.run("MATCH ()-[r:RELATES {key: $k}]->() SET r.support = 99", k=weakest["k"]).consume()
    assert weakest["k"] not in _walked(store, kb, [hub])[1]
    assert weakest["k"] in _full_walk(store, kb, [hub])[1]
    # a write adding support to another of the hub's loans updates its list from the change alone: the hub's edges
    # are not read again (they would put the tampered one first)
    store.write_chunk_facts(kb, "other", 1, [ChunkFacts("o0", [E(HUB, "ORG"), E(_company(4), "ORG")],
                                                        [R(HUB, "贷款给", _company(4))])])
    assert weakest["k"] not in {k[0] for k in _kept(store, hub)}
    assert _kept(store, hub)[0][4] == 6  # company 4's loan: support 5 + 1
    # a write stating that loan once more: its support is counted again (3, one more than before the tampering), and
    # the hub's list takes it in from the change alone
    store.write_chunk_facts(kb, "more", 1, [ChunkFacts("m0", [E(HUB, "ORG"), E(weakest["name"], "ORG")],
                                                       [R(HUB, "贷款给", weakest["name"])])])
    assert _kept(store, hub) == _best(store, hub) and weakest["k"] in {k[0] for k in _kept(store, hub)}
    assert documents


def test_deletes_and_re_ingests_recompute_the_touched_entities_kept_relations(store, kbs):  # noqa: F811
    kb = kbs()
    documents = _write(store, kb)
    hub = _key(store, kb, HUB)
    before = _kept(store, hub)
    seeds = [_key(store, kb, _company(8)), _key(store, kb, "担保人1")]

    store.remove_document(documents[4])  # the loans of support 5 fall to 4: the order among the best changes
    after = _kept(store, hub)
    assert after == _best(store, hub) and after != before and after[0][4] == 4
    assert _walked(store, kb, seeds) == _full_walk(store, kb, seeds)
    stored, expected = _kept_chunks(store, kb)
    assert stored == expected and len(stored[hub][0][1]) == 4

    store.remove_document(documents[2])  # and a loan of support 2 enters the kept ones in place of a dropped one
    assert _kept(store, hub) == _best(store, hub)
    assert _walked(store, kb, seeds) == _full_walk(store, kb, seeds)

    # a new version of document 0 that states only the first ten loans: the others lose a support, the companies
    # 10+ of support 1 lose their loan (the relation is deleted, and with it its place in both ends' lists)
    store.write_chunk_facts(kb, documents[0], 2, [
        ChunkFacts(f"v2-c{i}", [E(HUB, "ORG"), E(_company(i), "ORG")], [R(HUB, "贷款给", _company(i))])
        for i in range(10)])
    assert _kept(store, hub) == _best(store, hub)
    gone = _key(store, kb, _company(10))  # support 1: only document 0 stated its loan
    assert [k[2] for k in _kept(store, gone)] == [_key(store, kb, "担保人3")]
    assert _walked(store, kb, seeds) == _full_walk(store, kb, seeds)

    assert _kept_chunks(store, kb)[0] == _kept_chunks(store, kb)[1]

    store.remove_document("g")  # the guarantors go (no chunk mentions them); the companies' lists lose them
    for i in (0, 3, 11, 56):  # (those still mentioned: 10 is gone with document 0's first version and g)
        company = _key(store, kb, _company(i))
        assert _kept(store, company) == _best(store, company) and [k[2] for k in _kept(store, company)] == [hub]
    assert not store.find_entities([kb], ["担保人1"])
    assert _kept_chunks(store, kb)[0] == _kept_chunks(store, kb)[1]


def test_a_relation_stated_in_other_chunks_of_the_same_count_is_kept_with_its_new_chunks(store, kbs):  # noqa: F811
    """A new version of a document states the same relations in other chunks: no support changes, so the kept relations
    stay, but the chunks the entities keep with them must follow (the walk reads them from there)."""
    kb = kbs()
    store.write_chunk_facts(kb, "doc", 1, [ChunkFacts("a", [E("甲银行", "ORG"), E("乙公司", "ORG")],
                                                      [R("甲银行", "贷款给", "乙公司")])])
    store.write_chunk_facts(kb, "doc", 2, [ChunkFacts("b", [E("甲银行", "ORG"), E("乙公司", "ORG")],
                                                      [R("甲银行", "贷款给", "乙公司")])])
    stored, expected = _kept_chunks(store, kb)
    assert stored == expected
    assert [chunks for _, chunks, _ in stored[_key(store, kb, "甲银行")]] == [["b"]]
    seeds = [_key(store, kb, "甲银行")]
    assert _walked(store, kb, seeds) == _full_walk(store, kb, seeds)


def test_a_graph_written_before_the_kept_lists_is_walked_as_before_until_migrated(store, bolt_server,
                                                                                  kbs):  # noqa: F811
    kb = kbs()
    _write(store, kb)
    hub = _key(store, kb, HUB)
    seeds = [_key(store, kb, _company(4)), _key(store, kb, "担保人5")]
    expected = _full_walk(store, kb, seeds)
    # the graph as an older version left it: no lists on its entities or facts, no mark
    with store._session() as session:
        session.run("MATCH (e:Entity) WHERE e.kb_id = $kb REMOVE e.kept_rkey, e.kept_rtype, e.kept_target, "
                    "e.kept_forward, e.kept_support, e.kept_chunk, e.kept_document, e.kept_from", kb=kb).consume()
        session.run("MATCH (f:Fact) WHERE f.kb_id = $kb REMOVE f.support_chunks, f.support_documents", kb=kb).consume()
        session.run("MATCH (g:GraphMeta) DELETE g").consume()
    driver = GraphDatabase.driver(bolt_server["uri"], auth=bolt_server["auth"])
    try:
        old = GraphStore(driver, bolt_server["database"])  # a process started on it
        with _Reads(old) as reads:
            assert _walked(old, kb, seeds) == expected
        assert any(":RELATES]" in q for q in reads.queries)  # read the old way: the lists are not there
        assert _kept(old, hub) == []
        assert old.ensure_kept_relations() > 0  # ensure_schema does it on start-up
        assert _kept(old, hub) == _best(old, hub)
        with _Reads(old) as reads:  # the facts' chunk lists are not there yet: still the edges
            assert _walked(old, kb, seeds) == expected
        assert any(":SUPPORTED_BY]" in q for q in reads.queries)
        assert old.ensure_fact_chunks() > 0  # ensure_schema does it too
        with _Reads(old) as reads:  # the entities do not keep their relations' chunks yet: still the edges
            assert _walked(old, kb, seeds) == expected
        assert any(":SUPPORTED_BY]" in q for q in reads.queries)
        # a graph migrated by the previous version (kept relations and facts' chunks, not the entities' chunks)
        with old._session() as session:
            session.run("MATCH (e:Entity) WHERE e.kb_id = $kb REMOVE e.kept_chunk, e.kept_document, e.kept_from",
                        kb=kb).consume()
        assert old.ensure_kept_chunks() > 0  # and ensure_schema this
        assert _kept_chunks(old, kb)[0] == _kept_chunks(old, kb)[1]
        with _Reads(old) as reads:
            assert _walked(old, kb, seeds) == expected
        assert not any(":RELATES]" in q or ":SUPPORTED_BY]" in q for q in reads.queries)
        assert len(reads.queries) == 1  # both hops and every relation's chunks
        assert old.ensure_kept_relations() == 0 and old.ensure_fact_chunks() == 0  # marked: once
        assert old.ensure_kept_chunks() == 0
    finally:
        driver.close()
        store.ensure_schema()


def test_the_bulk_load_keeps_the_lists_the_write_path_keeps(store, kbs):  # noqa: F811
    """Exactly, in order (the same knowledge base's keys), with a relation of an entity to itself (read once)."""
    kb = kbs()
    _write(store, kb)
    store.write_chunk_facts(kb, "loop", 1, [ChunkFacts("l", [E(HUB, "ORG"), E("乙", "ORG")],
                                                       [R("乙", "投资", "乙"), R("乙", "投资", HUB)])])
    facts = store._read("MATCH (f:Fact) WHERE f.kb_id = $kb RETURN f.key AS key, f.type AS type, f.support AS support, "
                        "f.subject_key AS subject_key, f.object_key AS object_key, f.support_chunks AS support_chunks, "
                        "f.support_documents AS support_documents", kb=kb)
    loaded = _kept_relations(facts)
    stored, _ = _kept_chunks(store, kb)
    for name in (HUB, "乙", _company(0), _company(7), "担保人3"):
        key = _key(store, kb, name)
        lists = loaded[key]
        assert list(zip(*(lists[c] for c in ("kept_rkey", "kept_rtype", "kept_target", "kept_forward",
                                             "kept_support")))) == _kept(store, key) == _best(store, key)
        start = lists["kept_from"]
        assert [(k, lists["kept_chunk"][a:b], lists["kept_document"][a:b]) for k, a, b in zip(
            lists["kept_rkey"], start, start[1:])] == stored[key]
    other = _key(store, kb, "乙")
    assert sorted(x == other for _, _, x, _, _ in _kept(store, other)) == [False, True]


def test_writes_at_once_to_one_hub_leave_its_best_relations(store, kbs):  # noqa: F811
    """Two jobs writing documents about the same hub at the same time (ArcadeDB reports the conflict, the graph builder
    retries: graph/graph_builder.py), then the hub's list is its 50 best."""
    import threading
    import time as _time

    from neo4j.exceptions import Neo4jError

    kb = kbs()
    _write(store, kb)
    hub = _key(store, kb, HUB)
    errors: list[Exception] = []

    def job(offset: int) -> None:
        for i in range(offset, RELATIONS, 7):
            for attempt in range(8):
                try:
                    store.write_chunk_facts(kb, f"job{offset}-{i}", 1, [ChunkFacts(
                        "c", [E(HUB, "ORG"), E(_company(i), "ORG")], [R(HUB, "贷款给", _company(i))])])
                    break
                except Neo4jError as exc:
                    if attempt == 7:
                        errors.append(exc)
                    _time.sleep(0.05 * (attempt + 1))

    threads = [threading.Thread(target=job, args=(k,)) for k in (0, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _kept(store, hub) == _best(store, hub)


def _fact_lists(store: GraphStore, kb: str) -> dict:
    """Every fact's kept chunk lists, and what its SUPPORTED_BY edges say they must be (the first SUPPORT_KEPT by
    document, then chunk; the support count)."""
    stored = {r["key"]: (r["support"], list(r["chunks"] or []), list(r["documents"] or [])) for r in store._read(
        "MATCH (f:Fact) WHERE f.kb_id = $kb RETURN f.key AS key, f.support AS support, f.support_chunks AS chunks, "
        "f.support_documents AS documents", kb=kb)}
    edges: dict[str, list] = {key: [] for key in stored}
    for r in store._read("MATCH (f:Fact)-[:SUPPORTED_BY]->(c:Chunk) WHERE f.kb_id = $kb "
                         "RETURN f.key AS key, c.document_id AS d, c.chunk_id AS c", kb=kb):
        edges[r["key"]].append((r["d"], r["c"]))
    expected = {key: (len(found), [c for _, c in sorted(found)[:SUPPORT_KEPT]], [d for d, _ in sorted(found)[:SUPPORT_KEPT]])
                for key, found in edges.items()}
    return stored, expected


def test_facts_keep_their_first_chunks_through_writes_re_ingests_and_deletes(store, kbs):  # noqa: F811
    """A fact stated in more chunks than it keeps (SUPPORT_KEPT) keeps the first ones by document then chunk, with its
    full support; a re-ingest that moves its chunks and a delete recompute the lists; the walk's provenance read from
    the lists is what reading the edges gives, in one query."""
    kb = kbs()
    many = [ChunkFacts(f"m{i:03d}", [E("甲银行", "ORG"), E("乙公司", "ORG")], [R("甲银行", "贷款给", "乙公司")])
            for i in range(SUPPORT_KEPT + 5)]
    store.write_chunk_facts(kb, "z-late", 1, many[:10])  # sorts after "a-early": its chunks are not the first
    store.write_chunk_facts(kb, "a-early", 1, many)
    _write(store, kb)
    stored, expected = _fact_lists(store, kb)
    assert stored == expected
    loan = next(v for v in stored.values() if v[0] == SUPPORT_KEPT + 15)
    assert len(loan[1]) == SUPPORT_KEPT and set(loan[2]) == {"a-early"}

    store.write_chunk_facts(kb, "a-early", 2, many[:3])  # a new version: most of its chunks gone
    store.remove_document("g")
    stored, expected = _fact_lists(store, kb)
    assert stored == expected
    assert any(v[0] == 13 and v[2] == ["a-early"] * 3 + ["z-late"] * 10 for v in stored.values())

    assert _kept_chunks(store, kb)[0] == _kept_chunks(store, kb)[1]

    # the loan (13 chunks, more than an entity keeps the chunks of) as a first hop, and as a second (from 丙基金)
    assert 13 > KEPT_CHUNK_SUPPORT
    store.write_chunk_facts(kb, "c", 1, [ChunkFacts("c0", [E("丙基金", "ORG"), E("甲银行", "ORG")],
                                                    [R("丙基金", "投资", "甲银行")])])
    for seeds in ([_key(store, kb, "甲银行"), _key(store, kb, HUB)], [_key(store, kb, "丙基金")]):
        with _Reads(store) as reads:
            walked = _walked(store, kb, seeds)
        assert len(reads.queries) == 1 and not any(":SUPPORTED_BY]" in q for q in reads.queries)
        assert walked == _full_walk(store, kb, seeds)
        assert any(r[5] == 13 and len(r[4]) == 13 for r in walked[1].values())
