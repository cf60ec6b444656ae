"""The benchmark's bulk graph load (evaluation/graph_bulk_load.py) leaves the graph the service's write path leaves
for the same documents in the same order: nodes, properties (names, aliases, mention and support counts), edges.
Against the real Bolt server of the test session."""
from __future__ import annotations

from zhiku.evaluation.graph_bulk_load import GraphBulkLoad
from zhiku.graph.graph_store import ChunkFacts, DocumentFacts, EntityInput as E, RelationInput as R
from tests.test_graph_store import kbs  # noqa: F401 - the fixture
from tests.test_graph_write_batches import _document, _dump


def _keyed(i: int) -> list[ChunkFacts]:
    """An entity linker's key joining differently named mentions (the first name seen stays the name)."""
    names = ("中国工商银行", "工商银行", "ICBC")
    return [ChunkFacts(f"k{i}", [E(names[i % 3], "ORG", key="icbc"), E("某某公司", "ORG")],
                       [R(names[i % 3], "贷款给", "某某公司"), R(names[i % 3], "贷款给", "某某公司")])]


def test_the_bulk_load_leaves_the_graph_the_write_path_leaves(store, kbs):
    written, loaded = kbs(), kbs()
    documents = [(f"d{i}", _document(i)) for i in range(7)] + [(f"k{i}", _keyed(i)) for i in range(5)]
    for document_id, facts in documents:
        store.write_chunk_facts(written, document_id, "v1", facts)
    load = GraphBulkLoad(store)
    for document_id, facts in documents[:4]:
        load.add([DocumentFacts(loaded, document_id, "v1", facts)])
    load.add([DocumentFacts(loaded, document_id, "v1", facts) for document_id, facts in documents[4:]])
    counts = load.flush()
    assert counts["chunks"] == sum(len(facts) for _, facts in documents)
    expected = _dump(store, written)
    assert _dump(store, loaded) == expected
    assert ("ORG", "中国工商银行", ("ICBC", "工商银行"), ("icbc", "中国工商银行", "工商银行"), 5) in expected["entities"]
    # the graph reads work on it as on the other
    assert store.stats(loaded) == store.stats(written)
