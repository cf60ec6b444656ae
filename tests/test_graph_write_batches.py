"""Graph writes in bounded transactions (issue #14 item 6): several documents' facts go to the Bolt server in one
transaction of a fixed number of statements, small jobs' graph stages are written together, and none of it changes
the graph that results. Against the real Bolt server of the test session (ArcadeDB, or ZHIKU_TEST_NEO4J_URI)."""
from __future__ import annotations

import threading
import time

import pytest

from zhiku.graph.graph_store import ChunkFacts, DocumentFacts, EntityInput as E, GraphStore, RelationInput as R
from tests.test_graph_store import kbs  # noqa: F401 - the fixture


class _CountingTransaction:
    def __init__(self, tx, counts: dict):
        self._tx, self._counts = tx, counts

    def run(self, *args, **kwargs):
        self._counts["statements"] += 1
        return self._tx.run(*args, **kwargs)

    def rollback(self):
        return self._tx.rollback()


class _CountingSession:
    def __init__(self, session, counts: dict):
        self._session, self._counts = session, counts

    def __enter__(self):
        self._session.__enter__()
        return self

    def __exit__(self, *exc):
        return self._session.__exit__(*exc)

    def begin_transaction(self, *args, **kwargs):
        self._counts["transactions"] += 1
        return _CountingTransaction(self._session.begin_transaction(*args, **kwargs), self._counts)

    def execute_write(self, work, *args, **kwargs):
        def counted(tx, *a, **k):
            self._counts["transactions"] += 1
            return work(_CountingTransaction(tx, self._counts), *a, **k)
        return self._session.execute_write(counted, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._session, name)


class CountingDriver:
    """The real driver; counts the write transactions and the statements run in them."""

    def __init__(self, driver):
        self._driver = driver
        self.counts = {"transactions": 0, "statements": 0}

    def session(self, **kwargs):
        return _CountingSession(self._driver.session(**kwargs), self.counts)

    def __getattr__(self, name):
        return getattr(self._driver, name)



def _document(i: int) -> list[ChunkFacts]:
    """Documents that share entities (招商银行 in all, under two names), relations and aliases across documents."""
    bank = E("招商银行", "ORG", ("招行",) if i % 2 else ())
    borrower = E(f"第{i % 3}号公司", "ORG")
    person = E(f"张{i % 4}", "PERSON")
    return [ChunkFacts(f"c{i}-1", [bank, borrower], [R("招商银行", "贷款给", f"第{i % 3}号公司")]),
            ChunkFacts(f"c{i}-2", [borrower, person], [R(f"张{i % 4}", "担任法人", f"第{i % 3}号公司")] if i % 2 else [])]


def _chunk(text: str, index: int):
    from zhiku.core.types import Chunk

    return Chunk(chunk_id=f"k{index}", text=text, index=index, page=None, page_end=None, heading_path=[],
                 char_start=0, char_end=len(text))


def _dump(store: GraphStore, kb: str) -> dict:
    """The knowledge base's graph without its keys (they hash the knowledge base id): comparable across kbs."""
    entities = store._read("MATCH (e:Entity) WHERE e.kb_id = $kb RETURN e.key AS key, e.type AS type, e.name AS name, "
                           "e.aliases AS aliases, e.names_norm AS norms, e.mentions AS mentions, "
                           "e.kept_rtype AS kept_types, e.kept_target AS kept_targets, e.kept_forward AS kept_forward, "
                           "e.kept_support AS kept_support, e.kept_chunk AS kept_chunk, "
                           "e.kept_document AS kept_document, e.kept_from AS kept_from", kb=kb)
    names = {e["key"]: (e["type"], e["name"]) for e in entities}
    facts = store._read("MATCH (f:Fact) WHERE f.kb_id = $kb MATCH (s:Entity)-[r:RELATES {key: f.key}]->(o:Entity) "
                        "RETURN s.key AS s, f.type AS type, o.key AS o, f.support AS support, r.support AS rsupport, "
                        "f.support_chunks AS chunks, f.support_documents AS documents",
                        kb=kb)
    mentions = store._read("MATCH (e:Entity)-[m:MENTIONED_IN]->(c:Chunk) WHERE c.kb_id = $kb "
                           "RETURN e.key AS e, c.document_id AS d, c.chunk_id AS c, c.version AS v, m.names AS names",
                           kb=kb)
    supports = store._read("MATCH (f:Fact)-[:SUPPORTED_BY]->(c:Chunk) WHERE c.kb_id = $kb "
                           "RETURN f.type AS type, c.chunk_id AS c", kb=kb)
    aliases = store._read("MATCH (a:Alias)-[:ALIAS_OF]->(e:Entity) WHERE a.kb_id = $kb RETURN a.norm AS norm, e.key AS e",
                          kb=kb)
    chunks = store._read("MATCH (c:Chunk) WHERE c.kb_id = $kb RETURN c.document_id AS d, c.chunk_id AS c, "
                         "c.version AS v", kb=kb)
    return {
        "entities": sorted((e["type"], e["name"], tuple(sorted(e["aliases"] or [])), tuple(sorted(e["norms"] or [])),
                            e["mentions"]) for e in entities),
        # with each fact's kept chunk lists (GraphStore._refresh_facts), in their order
        "facts": sorted((names[f["s"]], f["type"], names[f["o"]], f["support"], f["rsupport"],
                         tuple(f["chunks"] or ()), tuple(f["documents"] or ())) for f in facts),
        "mentions": sorted((names[m["e"]], m["d"], m["c"], m["v"], tuple(m["names"])) for m in mentions),
        "supports": sorted((s["type"], s["c"]) for s in supports),
        "aliases": sorted((a["norm"], names[a["e"]]) for a in aliases),
        "chunks": sorted((c["d"], c["c"], c["v"]) for c in chunks),
        # each entity's kept relations (GraphStore._refresh_kept), by names, with the chunks it keeps of each: the keys
        # (which break support ties) differ between knowledge bases, so the lists compare as sets here (no list here is
        # cut at KEPT_RELATIONS)
        "kept": sorted((names[e["key"]], tuple(sorted(
            (t, names[x], f, n, tuple(e["kept_chunk"][a:b]), tuple(e["kept_document"][a:b]))
            for t, x, f, n, a, b in zip(e["kept_types"], e["kept_targets"], e["kept_forward"], e["kept_support"],
                                        e["kept_from"], e["kept_from"][1:])))) for e in entities),
    }


def test_documents_written_together_leave_the_graph_written_one_by_one(store, kbs):
    one_by_one, together = kbs(), kbs()
    for i in range(6):
        store.write_chunk_facts(one_by_one, f"d{i}", 1, _document(i))
    store.write_documents([DocumentFacts(together, f"d{i}", 1, _document(i)) for i in range(6)])
    assert _dump(store, one_by_one) == _dump(store, together)

    # A new version of d1 (other facts: 招商银行's relation gone from it), d2 again unchanged, a new d6, together.
    replacement = [ChunkFacts("c1-new", [E("招商银行", "ORG"), E("新公司", "ORG")], [R("招商银行", "担保", "新公司")])]
    store.write_chunk_facts(one_by_one, "d1", 2, replacement)
    store.write_chunk_facts(one_by_one, "d2", 1, _document(2))
    store.write_chunk_facts(one_by_one, "d6", 1, _document(6))
    store.write_documents([DocumentFacts(together, "d1", 2, replacement), DocumentFacts(together, "d2", 1, _document(2)),
                           DocumentFacts(together, "d6", 1, _document(6))])
    after = _dump(store, together)
    assert after == _dump(store, one_by_one)
    assert ("d1", "c1-1", "1") not in after["chunks"] and ("d1", "c1-new", "2") in after["chunks"]
    assert ("ORG", "招商银行", ("招行",), ("招商银行", "招行"), 7) in after["entities"]  # alias still used by d3, d5


def test_a_write_of_many_documents_is_one_transaction_of_a_bounded_number_of_statements(bolt_server, store, kbs):
    counting = CountingDriver(store.driver)
    spied = GraphStore(counting, store.database)
    kb = kbs()
    spied.write_documents([DocumentFacts(kb, "first", 1, _document(0))])
    one = dict(counting.counts)
    assert one["transactions"] == 1
    counting.counts.update(transactions=0, statements=0)
    spied.write_documents([DocumentFacts(kb, f"d{i}", 1, _document(i)) for i in range(1, 41)])
    assert counting.counts["transactions"] == 1
    # the statements do not grow with the documents: 40 documents, the same few statements as one (10 with relations:
    # 2 for the kept relations, 1 for the change counters; an 11th when an entity's full list loses a kept relation)
    assert counting.counts["statements"] <= max(one["statements"], 11), counting.counts
    assert store.stats(kb).documents == 41 and store.stats(kb).chunks == 82


def test_a_rehearsed_write_stores_nothing_and_runs_the_whole_write_path(bolt_server, store, kbs):
    """GraphStore.rehearse_writes (a launched server's warm-up) runs the write statements — including a second version
    of documents, so the replace and delete paths — in a transaction rolled back: no node of its knowledge base stays,
    no change is counted, and what is written afterwards is what is written without it."""
    from zhiku.graph.graph_store import REHEARSAL_KB, rehearsal_writes, write_generation

    before = _dump(store, kbs())
    generation = write_generation()  # an empty knowledge base's dump: the shape of "nothing"
    changes = store.changes([REHEARSAL_KB])
    counting = CountingDriver(store.driver)
    GraphStore(counting, store.database).rehearse_writes()
    assert counting.counts["statements"] >= 2 * 10  # both writes ran (a rolled-back transaction is not execute_write)
    first, second = rehearsal_writes()
    assert {d.document_id for d in first} & {d.document_id for d in second}  # the second replaces some documents
    assert _dump(store, REHEARSAL_KB) == before
    assert store._read("MATCH (n) WHERE n.kb_id = $kb OR n.of_kb = $kb RETURN count(n) AS n", kb=REHEARSAL_KB)[0]["n"] == 0
    assert store.changes([REHEARSAL_KB]) == changes
    assert write_generation() == generation  # in-process caches of the graph are not told to read again

    rehearsed, plain = kbs(), kbs()
    store.write_documents([DocumentFacts(rehearsed, f"d{i}", 1, _document(i)) for i in range(4)])
    store.write_documents([DocumentFacts(plain, f"d{i}", 1, _document(i)) for i in range(4)])
    assert _dump(store, rehearsed) == _dump(store, plain)


def test_the_graph_builder_packs_small_documents_and_cuts_large_ones(bolt_server, store, kbs):
    from zhiku.graph import graph_builder
    from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
    from zhiku.core.settings import Settings
    from zhiku.index.indexer import DocumentRef

    counting = CountingDriver(store.driver)
    builder = graph_builder.GraphBuilder(GraphStore(counting, store.database), make_extractor(Settings()),
                                         make_resolver_factory(Settings()))
    kb = kbs()

    def document(name: str, chunks: int) -> tuple[DocumentRef, list[Chunk]]:
        return (DocumentRef(kb, name, "v1", f"{name}.txt", "txt", ["*"]),
                [_chunk(f"招商银行深圳分行向第{k}号公司发放贷款。", k) for k in range(chunks)])

    small = [document(f"small{i}", 1) for i in range(30)]
    results = builder.build_many(small)
    assert all(r.error is None and r.relations >= 0 for r in results)
    assert counting.counts["transactions"] == 1  # 30 one-chunk documents, one transaction
    counting.counts.update(transactions=0, statements=0)
    large = document("large", 2 * graph_builder.WRITE_BATCH + 10)
    results = builder.build_many([large, document("after", 2)])
    assert [r.error for r in results] == [None, None]
    assert counting.counts["transactions"] == 3  # the large one in pieces of WRITE_BATCH chunks; "after" joins the last
    assert store.stats(kb).chunks == 30 + 2 * graph_builder.WRITE_BATCH + 10 + 2


def test_a_document_that_fails_in_a_shared_write_fails_alone(bolt_server, store, kbs):
    """Its extraction raises for one document: the others of the batch are written; its error is its own."""
    from zhiku.core.settings import Settings
    from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
    from zhiku.graph.graph_builder import GraphBuilder
    from zhiku.index.indexer import DocumentRef

    rules = make_extractor(Settings())

    class Failing:
        def extract(self, text, heading_path=None, **kwargs):
            if "坏" in text:
                raise RuntimeError("cannot read this chunk")
            return rules.extract(text, heading_path, **kwargs)

    builder = GraphBuilder(store, Failing(), make_resolver_factory(Settings()))
    kb = kbs()
    docs = [(DocumentRef(kb, f"d{i}", "v1", f"d{i}.txt", "txt", ["*"]),
             [_chunk(("坏" if i == 2 else "") + f"招商银行向第{i}号公司发放贷款。", 0)]) for i in range(4)]
    results = builder.build_many(docs)
    assert [r.error is not None for r in results] == [False, False, True, False]
    assert store.stats(kb).documents == 3 and "d2" not in store.document_ids()


def test_small_jobs_graph_stages_are_written_together_and_each_job_ends_with_its_own(runtime):
    """Six uploads wait behind a held graph stage: they are written in fewer transactions than documents, every job
    ends done with its own graph detail, and each document's chunks are in the graph once."""
    from zhiku.api.knowledge_service import KnowledgeService

    graph = runtime.pipeline.graph
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []
    real_build = graph.build_many

    def held_build(documents, on_progress=None):
        calls.append(len(documents))
        if not entered.is_set():
            entered.set()
            assert release.wait(60)
        return real_build(documents, on_progress)

    graph.build_many = held_build
    runtime.start()
    service = KnowledgeService(runtime)
    kb = service.create_kb("batches")
    uploads = [service.upload(kb.id, f"{i}.md", f"# 通知{i}\n\n招商银行第{i}分行的营业时间为九点。".encode())
               for i in range(7)]
    try:
        assert entered.wait(120)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and any(runtime.metadata.get_document(u.document.id).status != "done"
                                                  for u in uploads):
            time.sleep(0.1)
        assert all(runtime.metadata.get_job(u.job.id).status == "processing" for u in uploads)  # until their graph
    finally:
        release.set()
    assert runtime.jobs.wait_idle(timeout=120)
    assert sum(calls) == 7 and len(calls) < 7 and max(calls) > 1, calls
    for upload in uploads:
        job = runtime.metadata.get_job(upload.job.id)
        assert job.status == "done" and "graph:" in job.detail and job.progress == 1.0, job.detail
        chunks = runtime.graph_store._read("MATCH (c:Chunk {document_id: $d}) RETURN count(c) AS n",
                                           d=upload.document.id)[0]["n"]
        assert chunks == runtime.metadata.get_document(upload.document.id).chunk_count > 0
