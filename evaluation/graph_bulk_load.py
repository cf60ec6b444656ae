"""A fresh knowledge graph written in bulk, for `zhiku bench search` at 100k-1M chunks: the graph
`GraphStore.write_documents` leaves after writing the same documents in the same order, with CREATE statements.

Why: the service's write path MERGEs every row and recomputes each touched entity's names, aliases and mention
count from all its edges on every write (it must: a write may replace a document). On ArcadeDB that costs about
0.5 ms a mention row whatever the batch size (docs/benchmarks.md), hours at 1M chunks. A benchmark's graph is
written once, from nothing, with no replaced document: every property can be computed in Python first, per
knowledge base, and each node and edge created once. The rows are GraphStore._prepare's, so keys, names and
types are exactly the service's; the aggregation below follows GraphStore._refresh_entities, _refresh_facts and
_refresh_kept (tests/test_graph_bulk_load.py compares the two graphs), the facts' kept chunk lists included.

Only for an empty database: nothing is merged, so a second load would duplicate nodes."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from zhiku.graph.graph_store import SUPPORT_KEPT, DocumentFacts, GraphStore, alias_key, kept_lists, normalise

ROWS_PER_STATEMENT = 5000

_CHUNKS = """
UNWIND $rows AS row
CREATE (:Chunk {key: row.key, kb_id: row.kb_id, document_id: row.document_id, version: row.version,
                chunk_id: row.chunk_id})
"""
_ENTITIES = """
UNWIND $rows AS row
CREATE (:Entity {key: row.key, kb_id: row.kb_id, name: row.name, name_norm: row.name_norm, type: row.type,
                 aliases: row.aliases, names_norm: row.names_norm, mentions: row.mentions,
                 kept_rkey: row.kept_rkey, kept_rtype: row.kept_rtype, kept_target: row.kept_target,
                 kept_forward: row.kept_forward, kept_support: row.kept_support, kept_chunk: row.kept_chunk,
                 kept_document: row.kept_document, kept_from: row.kept_from})
"""
_ALIASES = "UNWIND $rows AS row CREATE (:Alias {key: row.key, kb_id: row.kb_id, norm: row.norm})"
_ALIAS_OF = """
UNWIND $rows AS row
MATCH (a:Alias {key: row.alias_key})
MATCH (e:Entity {key: row.entity_key})
CREATE (a)-[:ALIAS_OF]->(e)
"""
_MENTIONS = """
UNWIND $rows AS row
MATCH (e:Entity {key: row.entity_key})
MATCH (c:Chunk {key: row.chunk_key})
CREATE (e)-[:MENTIONED_IN {names: row.names}]->(c)
"""
_FACTS = """
UNWIND $rows AS row
MATCH (s:Entity {key: row.subject_key})
MATCH (o:Entity {key: row.object_key})
CREATE (:Fact {key: row.key, kb_id: row.kb_id, type: row.type, type_norm: row.type_norm,
               subject_key: row.subject_key, object_key: row.object_key, support: row.support,
               support_chunks: row.support_chunks, support_documents: row.support_documents})
CREATE (s)-[:RELATES {key: row.key, kb_id: row.kb_id, type: row.type, support: row.support}]->(o)
"""
_SUPPORTS = """
UNWIND $rows AS row
MATCH (f:Fact {key: row.fact_key})
MATCH (c:Chunk {key: row.chunk_key})
CREATE (f)-[:SUPPORTED_BY]->(c)
"""


class GraphBulkLoad:
    """Documents added in order (each knowledge base's documents together or not: the rows are kept per write
    order), then `flush()` writes everything added so far for the knowledge bases that are complete."""

    def __init__(self, store: GraphStore):
        self._store = store
        self._chunks: list[dict] = []
        self._entities: dict[str, dict] = {}
        self._mentions: list[dict] = []
        self._facts: dict[str, dict] = {}
        self._supports: list[dict] = []

    def add(self, documents: Sequence[DocumentFacts]) -> None:
        rows = GraphStore._prepare(documents)
        self._chunks += rows.chunks
        for mention in rows.mentions:  # in write order: the first creates the entity (its ON CREATE name)
            entity = self._entities.get(mention["entity_key"])
            if entity is None:
                entity = self._entities[mention["entity_key"]] = {
                    "key": mention["entity_key"], "kb_id": mention["kb_id"], "name": mention["name"],
                    "type": mention["type"], "names": [], "mentions": 0}
            entity["mentions"] += 1
            for name in mention["names"]:
                if name not in entity["names"]:
                    entity["names"].append(name)
            self._mentions.append({"entity_key": mention["entity_key"], "chunk_key": mention["chunk_key"],
                                   "names": mention["names"]})
        chunks = {c["key"]: (c["document_id"], c["chunk_id"]) for c in rows.chunks}
        for support in rows.supports:
            fact = self._facts.setdefault(support["key"], {k: support[k] for k in (
                "key", "kb_id", "type", "type_norm", "subject_key", "object_key")} | {"support": 0, "chunks": []})
            fact["support"] += 1
            fact["chunks"].append(chunks[support["chunk_key"]])
            self._supports.append({"fact_key": support["key"], "chunk_key": support["chunk_key"]})

    def flush(self) -> dict:
        """Write what was added (then forget it); returns the counts written."""
        entities, aliases, alias_of = [], {}, []
        facts = []
        for fact in self._facts.values():  # each fact's first chunks, as GraphStore._refresh_facts stores them
            first = sorted(fact["chunks"])[:SUPPORT_KEPT]
            facts.append({k: v for k, v in fact.items() if k != "chunks"} | {
                "support_chunks": [c for _, c in first], "support_documents": [d for d, _ in first]})
        kept = _kept_relations(facts)
        for entity in self._entities.values():
            names = entity["names"]
            name = entity["name"] if entity["name"] in names else names[0]
            norms: list[str] = []
            for n in names:
                if normalise(n) not in norms:
                    norms.append(normalise(n))
            entities.append({"key": entity["key"], "kb_id": entity["kb_id"], "name": name,
                             "name_norm": normalise(name), "type": entity["type"],
                             "aliases": [n for n in names if n != name], "names_norm": norms,
                             "mentions": entity["mentions"]} | kept.get(entity["key"], kept[None]))
            for norm in norms:
                key = alias_key(entity["kb_id"], norm)
                aliases.setdefault(key, {"key": key, "kb_id": entity["kb_id"], "norm": norm})
                alias_of.append({"alias_key": key, "entity_key": entity["key"]})
        steps = ((_CHUNKS, self._chunks), (_ENTITIES, entities), (_ALIASES, list(aliases.values())),
                 (_ALIAS_OF, alias_of), (_MENTIONS, self._mentions), (_FACTS, facts),
                 (_SUPPORTS, self._supports))
        for cypher, rows in steps:
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                self._write(cypher, rows[start:start + ROWS_PER_STATEMENT])
        counts = {"chunks": len(self._chunks), "entities": len(entities), "mentions": len(self._mentions),
                  "facts": len(self._facts), "supports": len(self._supports)}
        self.__init__(self._store)
        return counts

    def _write(self, cypher: str, rows: Iterable[dict]) -> None:
        with self._store._session() as session:
            session.execute_write(lambda tx: tx.run(cypher, rows=list(rows)).consume())


# GraphStore.kept_lists's names → the entity's properties
_KEPT_PROPERTIES = {"rkey": "kept_rkey", "rtype": "kept_rtype", "target": "kept_target", "forward": "kept_forward",
                    "support": "kept_support", "chunk": "kept_chunk", "document": "kept_document", "start": "kept_from"}


def _kept_relations(facts: Iterable[dict]) -> dict:
    """Each entity's kept lists as GraphStore._refresh_kept stores them (`kept_lists`: its KEPT_RELATIONS best
    relations, support then key, with the chunks of those supported by few enough), from the facts' rows (their kept
    chunks `support_chunks`, `support_documents`); `None`: the lists of an entity without relations."""
    edges: dict = {}
    for f in facts:
        chunks, documents = f.get("support_chunks"), f.get("support_documents")
        edges.setdefault(f["subject_key"], []).append((f["support"], f["key"], f["type"], f["object_key"], True, chunks,
                                                       documents))
        if f["object_key"] != f["subject_key"]:  # a relation of an entity to itself: once (as (e)-[r]-(m) reads it)
            edges.setdefault(f["object_key"], []).append((f["support"], f["key"], f["type"], f["subject_key"], False,
                                                          chunks, documents))
    kept = {None: {_KEPT_PROPERTIES[k]: v for k, v in kept_lists("", []).items() if k != "key"}}
    for key, rows in edges.items():
        kept[key] = {_KEPT_PROPERTIES[k]: v for k, v in kept_lists(key, rows).items() if k != "key"}
    return kept
