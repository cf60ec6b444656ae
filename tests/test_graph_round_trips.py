"""Graph mode asks the graph server little, and never waits on it without bound (issue #14 point 5): against the
session's real Bolt server, a search by an unrestricted caller makes one query — linking is answered by the linker's
in-process name index (exact names and fuzzy matches), and the walk reads both hops, the names reached and every
relation's chunks (kept on the facts) in one statement —, whatever the question; a question naming no entity of the
graph costs nothing, and a search whose graph does not answer in time goes on without it. (Before: five to eight
queries, then three.)"""
from __future__ import annotations

import threading
import time
import uuid

from zhiku.graph.entity_linker import EntityLinker
from zhiku.graph.graph_store import ChunkFacts, EntityInput as E, RelationInput as R
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.index.vector_store import ChunkFilter, ScoredChunk
from zhiku.retrieval.graph_expansion import GraphEvidence, GraphExpander, GraphRetrievalConfig
from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalMode
from tests.test_graph_store import kbs  # noqa: F401 - the fixture


def _doc() -> str:
    return f"doc-{uuid.uuid4().hex[:10]}"


def _chain(store, kb) -> tuple[str, str]:
    """甲公司 -担保-> 乙公司 (chunk a1), 乙公司 -控股-> 丙公司 (chunk b1, another document): two hops."""
    first, second = _doc(), _doc()
    store.write_chunk_facts(kb, first, 1, [
        ChunkFacts("a1", [E("北京甲置业有限公司", "ORG"), E("乙担保公司", "ORG")],
                   [R("北京甲置业有限公司", "担保", "乙担保公司")])])
    store.write_chunk_facts(kb, second, 1, [
        ChunkFacts("b1", [E("乙担保公司", "ORG"), E("丙投资集团", "ORG")], [R("乙担保公司", "控股", "丙投资集团")]),
        ChunkFacts("b2", [E("丙投资集团", "ORG"), E("丁银行", "ORG")], [R("丙投资集团", "欠款", "丁银行")])])
    return first, second


class _Counting:
    """Counts the store's queries (each a round trip to the graph server)."""

    def __init__(self, store):
        self.store, self.original, self.reads = store, store._read, 0

    def __enter__(self):
        def counted(cypher, **params):
            self.reads += 1
            return self.original(cypher, **params)
        self.store._read = counted
        return self

    def __exit__(self, *exc):
        self.store._read = self.original


def test_a_graph_search_takes_one_query(store, kbs):  # noqa: F811
    kb = kbs()
    first, second = _chain(store, kb)
    linker = EntityLinker(store)
    assert linker.name_index.wait_loaded([kb])
    expander = GraphExpander(store, linker, GraphRetrievalConfig(max_hops=2))
    # "甲置业有限公司" is a fuzzy mention (contained in the entity's name), "乙担保公司" an exact one
    with _Counting(store) as counted:
        evidence = expander.evidence("甲置业有限公司的担保人乙担保公司有哪些风险？", [kb])
    assert counted.reads == 1, counted.reads  # the walk; linking asked the index
    assert {e.name for e in evidence.linked} == {"北京甲置业有限公司", "乙担保公司"}
    assert {"b1", "b2"} <= set(evidence.chunk_scores)  # the relations' chunks, two hops out (a1 joins two seeds)
    assert evidence.bridges["b2"] == {"丙投资集团"}  # reached through 丙投资集团, which the question does not name
    # the walk's result is expand's, less the entities' provenance, which is read only when the subgraph is shown
    full = store.expand([kb], [e.key for e in evidence.linked], 2, 20, 60)
    assert sorted(p.entity_keys for p in evidence.subgraph.paths) == sorted(p.entity_keys for p in full.paths)
    assert {k: r.provenance.chunk_ids for k, r in evidence.subgraph.relations.items()} == \
           {k: r.provenance.chunk_ids for k, r in full.relations.items()}
    with _Counting(store) as counted:
        shown = evidence.described()
        evidence.described()
    assert counted.reads == 1  # once
    assert {k: (e.name, e.provenance.chunk_ids) for k, e in shown.entities.items()} == \
           {k: (e.name, e.provenance.chunk_ids) for k, e in full.entities.items()}

    with _Counting(store) as counted:  # a question that names nothing in the graph: no query at all
        nothing = expander.evidence("今天的天气怎么样？", [kb])
    assert counted.reads == 0 and not nothing.linked and not nothing.chunk_scores

    with _Counting(store) as counted:  # restricted access: the walk's entities read again with readable names
        restricted = expander.evidence("甲置业有限公司的担保人乙担保公司有哪些风险？", [kb], document_ids=[first])
    assert counted.reads <= 4, counted.reads
    # the other document's facts lead nowhere for this caller; a1, in the readable document, joins the two entities
    # the question names
    assert set(restricted.chunk_scores) == {"a1"}


def test_a_path_between_two_linked_entities_joins_them_though_the_walk_is_a_tree(store, kbs):  # noqa: F811
    """甲 and 丙 are both in the question; 甲 → 乙 (a1) is on 甲's tree, 乙 — 丙 (b1) is off it (丙 is a seed, so the
    walk never reaches it again): the path 甲 → 乙 → 丙 still joins them, and its chunks add what the first stage
    lacks; 丙 → 丁 (b2) joins nothing."""
    kb = kbs()
    _chain(store, kb)
    linker = EntityLinker(store)
    assert linker.name_index.wait_loaded([kb])
    evidence = GraphExpander(store, linker, GraphRetrievalConfig(max_hops=2)).evidence(
        "北京甲置业有限公司和丙投资集团是什么关系？", [kb])
    assert {e.name for e in evidence.linked} == {"北京甲置业有限公司", "丙投资集团"}
    assert evidence.joining == {"a1", "b1"}
    assert {"a1", "b1", "b2"} <= set(evidence.chunk_scores)
    assert evidence.novel("b1", "北京甲置业有限公司与乙担保公司，丙投资集团")  # joins: new even when both are named
    assert not evidence.novel("b2", "北京甲置业有限公司与乙担保公司，丙投资集团")
    one_hop = GraphExpander(store, linker, GraphRetrievalConfig(max_hops=1)).evidence(
        "北京甲置业有限公司和丙投资集团是什么关系？", [kb])
    assert not one_hop.joining  # the path has two relations, more than one hop allows


def test_walk_bounds_the_hops_and_the_entities_reached(store, kbs):  # noqa: F811
    kb = kbs()
    _chain(store, kb)
    seed = store.find_entities([kb], ["北京甲置业有限公司"])[0].key
    with _Counting(store) as counted:
        one = store.walk([kb], [seed], max_hops=1)
    assert counted.reads == 1 and [len(p.entity_keys) for p in one.paths] == [2]
    with _Counting(store) as counted:
        three = store.walk([kb], [seed], max_hops=3)
    assert counted.reads == 2 and sorted(len(p.entity_keys) for p in three.paths) == [2, 3, 4]  # two hops, then one
    assert len(store.walk([kb], [seed], max_hops=3, limit=2).paths) == 1  # the seed and one entity reached


def test_the_server_cuts_the_later_hops_fan_out_per_entity(store, kbs):  # noqa: F811
    """A bridge with many relations: the first hop follows fan_out_cap edges, the second only later_cap of the
    bridge's, the best supported first — cut inside the query, not after the rows came back."""
    kb = kbs()
    store.write_chunk_facts(kb, _doc(), 1, [ChunkFacts("s1", [E("甲控股集团", "ORG"), E("乙担保公司", "ORG")],
                                                       [R("甲控股集团", "担保", "乙担保公司")])])
    facts = [ChunkFacts(f"h{i}", [E("乙担保公司", "ORG"), E(f"客户{i:02d}有限公司", "ORG")],
                        [R("乙担保公司", "担保", f"客户{i:02d}有限公司")]) for i in range(8)]
    facts += [ChunkFacts("h0b", [E("乙担保公司", "ORG"), E("客户00有限公司", "ORG")],  # the best-supported one
                         [R("乙担保公司", "担保", "客户00有限公司")])]
    store.write_chunk_facts(kb, _doc(), 1, facts)
    seed = store.find_entities([kb], ["甲控股集团"])[0].key
    names = {}
    for cap in (None, 3):
        walked = store.walk([kb], [seed], max_hops=2, fan_out_cap=20, limit=60, later_cap=cap)
        names[cap] = walked
    assert len([p for p in names[None].paths if len(p.entity_keys) == 3]) == 8
    second = [p for p in names[3].paths if len(p.entity_keys) == 3]
    assert len(second) == 3
    reached = {h.name for h in store.get_entities([kb], [p.entity_keys[-1] for p in second])}
    assert "客户00有限公司" in reached  # the most supported relation is kept
    with _Counting(store) as counted:
        store.walk([kb], [seed], max_hops=2, later_cap=3)
    assert counted.reads == 1  # both hops and their relations' chunks in one query


def test_the_second_hops_short_columns_give_the_rows_of_the_full_ones(store, kbs):  # noqa: F811
    """The walk's query sends a second-hop edge as its key, target and direction (`_SECOND_HOP_FIELDS`); unpacked, the
    rows are those the full columns (source, target, subject, object) give, for edges that leave the bridge entity and
    edges that point into it (issue #14 point 5: the same results, less to read and send)."""
    from zhiku.graph import graph_store as gs

    kb = kbs()
    store.write_chunk_facts(kb, _doc(), 1, [
        ChunkFacts("w1", [E("甲控股集团", "ORG"), E("乙担保公司", "ORG")], [R("甲控股集团", "担保", "乙担保公司")]),
        ChunkFacts("w2", [E("乙担保公司", "ORG"), E("丙投资集团", "ORG")], [R("乙担保公司", "控股", "丙投资集团")]),
        ChunkFacts("w3", [E("丁银行", "ORG"), E("乙担保公司", "ORG")], [R("丁银行", "贷款", "乙担保公司")]),
        ChunkFacts("w4", [E("丁银行", "ORG"), E("乙担保公司", "ORG")], [R("丁银行", "贷款", "乙担保公司")])])
    seed = store.find_entities([kb], ["甲控股集团"])[0].key
    full_second = ", ".join(f"collect({v}) AS h2_{k}" for k, v in gs._edge_fields("r2", "m", "x", None))
    full = gs._two_hops(None).replace(", ".join(f"collect({v}) AS h2_{k}" for k, v in gs._SECOND_HOP_FIELDS),
                                      full_second)
    full = full.replace(", ".join(f"h2_{k}" for k, _ in gs._SECOND_HOP_FIELDS),
                        ", ".join(f"h2_{k}" for k, _ in gs._edge_fields("r2", "m", "x", None)))
    params = dict(keys=[seed], kb_ids=[kb], cap=20, cap2=20, n=100)
    (short_row,) = store._read(gs._two_hops(None), **params)
    (full_row,) = store._read(full, **params)
    columns = [k for k in full_row if k.startswith("h2_")]
    expected = [{k[3:]: full_row[k][i] for k in columns} for i in range(len(full_row["h2_rkey"]))]
    assert gs._unpack(short_row) == expected
    assert {(e["rtype"], e["subject_key"] == e["source"]) for e in expected} == {("控股", True), ("贷款", False)}
    assert [e["support"] for e in expected] == [2, 1]  # the best supported first
    assert {k: v for k, v in short_row.items() if not k.startswith("h2_")} == \
           {k: v for k, v in full_row.items() if not k.startswith("h2_")}


class _SlowGraph:
    """A graph expander whose server does not answer for `seconds` (the timeout is the retriever's, not the
    graph's: what matters is that the search does not wait)."""

    def __init__(self, seconds: float):
        self.config = GraphRetrievalConfig(timeout_seconds=0.2)
        self.seconds = seconds
        self.done = threading.Event()

    def evidence(self, query, kb_ids, document_ids=None) -> GraphEvidence:
        time.sleep(self.seconds)
        self.done.set()
        return GraphEvidence()


class _Store:
    def search_dense(self, vector, chunk_filter, n):
        return [ScoredChunk("c1", 0.9, {"text": "甲公司的公告。", "kb_id": "kb", "document_id": "d1"})]

    def search_sparse(self, vector, chunk_filter, n):
        return []


class _Embedder:
    def embed_query(self, text):
        return [1.0]


def test_a_search_goes_on_without_the_graph_when_it_does_not_answer_in_time():
    slow = _SlowGraph(2.0)
    retriever = HybridRetriever(_Store(), _Embedder(), JiebaBm25Encoder(), None, graph=slow)
    started = time.perf_counter()
    found = retriever.retrieve("甲公司", ChunkFilter(kb_ids=["kb"]), 5, RetrievalMode.GRAPH)
    assert time.perf_counter() - started < 1.5
    assert [h.chunk_id for h in found.hits] == ["c1"] and found.graph is None and not slow.done.is_set()
