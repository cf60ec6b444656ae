"""Knowledge-graph storage over Bolt (Neo4j 5.x, or ArcadeDB's Bolt plugin), with exact provenance.

Model (every node carries `kb_id`; every key is a hash that includes the knowledge base, so two
knowledge bases never share a node and a relation can only join entities of one knowledge base):

    (:Entity {key, kb_id, name, name_norm, type, aliases, names_norm, mentions})
    (:Chunk  {key, kb_id, document_id, version, chunk_id})
    (:Fact   {key, kb_id, type, type_norm, subject_key, object_key, support, support_chunks, support_documents})
    (:GraphMeta {key, size | of_kb, seq})             migration marks; per process and knowledge base, write counts
    (:Alias  {key, kb_id, norm})                      one per normalised name or alias in a kb

    (:Entity)-[:MENTIONED_IN {names}]->(:Chunk)       the names the chunk used for the entity
    (:Fact)-[:SUPPORTED_BY]->(:Chunk)                 the chunks that state the relation
    (:Entity)-[:RELATES {key, kb_id, type, support}]->(:Entity)   traversal edge, one per Fact
    (:Alias)-[:ALIAS_OF]->(:Entity)                   exact name/alias lookup through an index

Why reified facts: a relationship cannot point at chunks, and a list of chunk ids stored on it has to
be rewritten whole on every change (and can lose concurrent updates). A `Fact` node links to its
chunks with one edge each, so provenance is just edges: deleting a document = DETACH DELETE its
chunks, then delete the facts and entities left without any supporting chunk. Nothing is counted
by hand: `support` (on Fact and RELATES) and `mentions` are recomputed from the remaining edges of
the touched nodes after each write or delete. The `RELATES` edge duplicates the fact's endpoints so
paths are plain `(:Entity)-[:RELATES*]-(:Entity)` patterns; its `support` orders edges for the
fan-out cap. Relation types are data (the `type` property), never labels, so no Cypher is built from
user input: every value travels as a parameter. The only number formatted into a query is the
validated integer hop bound of `shortestPath` (variable-length bounds cannot be parameters).

Keys: entity = sha1(kb_id, casefold type, normalised name) unless the caller gives its own key (an
entity linker's id, e.g. the same bank named 中国工商银行 in one document and ICBC in another), then
sha1(kb_id, "id", key). Chunk = sha1(kb_id, document_id, chunk_id). Fact = sha1(kb_id, subject key,
casefold type, object key). Alias = sha1(kb_id, normalised name).

Versions: `write_chunk_facts` replaces, in one transaction, the facts of the chunks it is given and
removes every chunk of the document recorded under another version (the new version replaces the
old). Chunks of the same version not in the call are kept, so a large document can be written in
batches. Writing the same input twice leaves the graph unchanged (but for the touched entities' `kept_version`
counter, `_KEPT_READ`). `write_documents` does the same for
several documents in one transaction of the same few statements (≤ 10 when nothing is replaced, two of them the
kept relations', one the change counters'; each a
round trip the server parses and plans), so small documents' facts cost the server per write, not per
document; the graph is the one writing them one by one leaves (tests/test_graph_write_batches.py).

Fan-out: `walk` (what retrieval uses) goes breadth-first from the seeds: for each entity, its RELATES edges ordered
by support (then key, for determinism) and cut at `fan_out_cap` in a `CALL {}` subquery; the entities reached are
cut at `limit`. The first two hops are one query (the second hop's edges nested in the first's rows; the first
hop's relations bring their supporting chunks in the same query); on a migrated graph, for an unrestricted caller,
every relation's chunks (the second hop's too) are read in that query from the entities' kept chunk lists (or, for a
relation supported by more than KEPT_CHUNK_SUPPORT chunks, its fact's), so the walk is one round trip; otherwise the
chunks of the second hop's relations that are kept are one more query. Each further
hop is one more. A hub with thousands of edges therefore returns at
most `fan_out_cap` neighbours per hop, and a search at most seeds × fan_out_cap² edges. `expand` is `walk` plus
every reached entity read with its provenance (the API's graph routes).

Kept relations: every entity stores its KEPT_RELATIONS best relations (support, then key: the walk's order) on its
node as parallel lists (`kept_rkey`, `kept_rtype`, `kept_target`, `kept_forward` — the entity is the subject —,
`kept_support`). Each write and delete updates them for the ends of the facts it touched (`_refresh_kept`, in the
same transaction, from the stored lists and the changes: two statements; an entity whose full list loses a kept
relation or support is read again from its edges, a third), so an unrestricted walk within
those bounds reads an entity's first `fan_out_cap` relations from its node (`_kept_walk`) instead of reading and
sorting all its RELATES edges (a hub of 100–300 relations cost the server all of them per search). A restricted
walk (`document_ids`: the readable relations' order is not the stored one) or a cap past KEPT_RELATIONS reads the
edges as before, with the same results. A graph written before the lists existed is migrated by `ensure_schema`
(`ensure_kept_relations`: every entity in batches, then a `GraphMeta` node marks it); until marked, walks read the
edges.

Kept chunks: every fact stores its first SUPPORT_KEPT supporting chunks (by document id, then chunk id: the order
provenance is read in) as `support_chunks` and `support_documents`, recomputed with its support in the same statement
of every write and delete that touches it (`_FACT_SUPPORT`); the bulk load computes the same lists and
`ensure_fact_chunks` migrates a graph written before them (then marks it; until marked, the walk reads the edges).
Each entity also keeps, with its kept relations, the chunks of those supported by at most KEPT_CHUNK_SUPPORT chunks
(`kept_chunk`, `kept_document`, one relation's after the other, `kept_from` where each starts), updated with its kept
relations (`kept_lists`: a kept relation's chunks change only with a change to its fact, which the write has in hand),
so the walk reads every relation's chunks from the entities it reads anyway; `ensure_kept_chunks` migrates.

Change counters: every write and delete adds one to its process's counter of each knowledge base it touched (a
`GraphMeta` node per knowledge base and process, so writers never contend for one node), in its transaction;
`changes` reads them, so another process's in-process copy of graph contents (the linker's name index) knows when
to read again. The counters name their knowledge base in `of_kb`, not `kb_id`: they are not its contents, and they
outlive `remove_kb` (whose removal they count; one small node per process that wrote a removed knowledge base).

Access control: every read takes `document_ids`, the documents the caller may read (None: all). Inside
the query, an entity is returned only when a chunk of those documents mentions it, a relation only when
a chunk of those documents supports its fact, and expansion and paths only walk such relations; the
provenance returned lists only those chunks. Every returned relation carries its supporting chunk ids
and document ids (up to `support_limit`, with the total `support` count so truncation is visible), every
returned entity its mention chunk ids and document ids likewise.

Limits: names and aliases are NFKC-normalised with whitespace collapsed; empty names and names longer
than MAX_NAME_CHARS characters are refused (ValueError) rather than truncated, since truncation
could merge different entities. Types: MAX_TYPE_CHARS. Aliases beyond MAX_ALIASES are refused.
Query texts longer than MAX_NAME_CHARS cannot match any stored name and return nothing.

Cypher subset (accepted by Neo4j 5 and ArcadeDB 26.10): MERGE … ON CREATE SET, UNWIND $rows,
OPTIONAL MATCH, CALL { WITH … ORDER BY … LIMIT }, COUNT { }, EXISTS { }, shortestPath, collect()
with list slices, range() and list comprehensions with WHERE,
DETACH DELETE, CREATE CONSTRAINT … IF NOT EXISTS … IS UNIQUE, CREATE INDEX … IF
NOT EXISTS (node and relationship). No APOC, no procedures, no vector indexes, elementId is never
read.
"""
from __future__ import annotations

import hashlib
import re
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from neo4j import READ_ACCESS, Driver, ManagedTransaction
from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError

MAX_NAME_CHARS = 200
MAX_TYPE_CHARS = 64
MAX_ALIASES = 32
MAX_HOPS = 4
MAX_FAN_OUT = 200
MAX_LIMIT = 1000
DELETE_BATCH = 2000
# Each entity keeps its KEPT_RELATIONS best-supported relations (then by key) as lists on its node (`kept_*`), rewritten
# whenever one of its relations is written, re-supported or deleted: the walk reads an entity's first fan_out_cap
# relations from its node instead of reading and sorting all of them (a hub has hundreds). A walk whose cap exceeds it,
# or with restricted access (the readable relations' order is not stored), reads the RELATES edges as before.
KEPT_RELATIONS = 50
# Each fact keeps its first SUPPORT_KEPT supporting chunks (by document, then chunk: the order provenance is read in) on
# its node (`support_chunks`, `support_documents`), recomputed whenever its support is: the walk reads a relation's
# chunks from its fact instead of gathering and sorting its SUPPORTED_BY edges, so both hops and every relation's
# chunks are one query (a GraphStore whose support_limit exceeds it reads the edges as before).
SUPPORT_KEPT = 100
# Each entity also keeps, beside its kept relations, the chunks of those supported by at most KEPT_CHUNK_SUPPORT chunks
# (`kept_chunk`, `kept_document`: the relations' lists one after the other, relation j's from item kept_from[j] to
# kept_from[j + 1]): the walk reads both hops' chunks from the entities it reads anyway, instead of seeking every
# relation's fact in a subquery per first-hop row (session 26's walk: that subquery was a third of the walk's server
# CPU, docs/benchmarks.md). A relation supported by more is read from its fact (one seek, in one subquery per walk):
# kept whole, a hub's lists would hold up to KEPT_RELATIONS × SUPPORT_KEPT chunk ids, ~1 ms of server CPU each time
# a walk reads the hub; bounded, at most KEPT_RELATIONS × KEPT_CHUNK_SUPPORT.
KEPT_CHUNK_SUPPORT = 10
MIGRATION_BATCH = 1000
_READ_ATTEMPTS = 3

_SPACE = re.compile(r"\s+")
# Bumped by every write of any GraphStore in this process: in-process caches of graph contents (the entity name
# index, graph/entity_names.py) read it to know they are out of date.
_WRITES = [0]
# This process's change counters in the graph (`_CHANGES`): one GraphMeta node per knowledge base and writing process,
# so writers in different processes never update the same node (no write conflicts between workers).
_WRITER = uuid.uuid4().hex[:16]


def write_generation() -> int:
    return _WRITES[0]


# --- normalisation and keys -----------------------------------------------------------------------
def clean_name(text: str, what: str = "name", max_chars: int = MAX_NAME_CHARS) -> str:
    """NFKC, whitespace collapsed and stripped; refuses empty and over-long values."""
    if not isinstance(text, str):
        raise ValueError(f"{what} must be a string, got {type(text).__name__}")
    cleaned = _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    if not cleaned:
        raise ValueError(f"{what} is empty")
    if len(cleaned) > max_chars:
        raise ValueError(f"{what} is {len(cleaned)} characters long; the limit is {max_chars}")
    return cleaned


def normalise(text: str) -> str:
    """Lookup form of a name: NFKC, whitespace collapsed, case-folded."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def _hash(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def entity_key(kb_id: str, type_: str, name: str, key: str | None = None) -> str:
    if key is not None:
        return "e" + _hash(kb_id, "id", key)
    return "e" + _hash(kb_id, normalise(type_), normalise(name))


def chunk_key(kb_id: str, document_id: str, chunk_id: str) -> str:
    return "c" + _hash(kb_id, document_id, chunk_id)


def fact_key(kb_id: str, subject_key: str, type_: str, object_key: str) -> str:
    return "f" + _hash(kb_id, subject_key, normalise(type_), object_key)


def alias_key(kb_id: str, norm: str) -> str:
    return "a" + _hash(kb_id, norm)


# --- inputs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EntityInput:
    """An entity named in a chunk. `key`: an explicit identity (e.g. from an entity linker) that makes
    differently named mentions (中国工商银行 / ICBC) one node; without it the identity is (type, name)."""
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    key: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", clean_name(self.name))
        object.__setattr__(self, "type", clean_name(self.type, "entity type", MAX_TYPE_CHARS))
        aliases = tuple(clean_name(a, "alias") for a in self.aliases)
        if len(aliases) > MAX_ALIASES:
            raise ValueError(f"{len(aliases)} aliases; the limit is {MAX_ALIASES}")
        object.__setattr__(self, "aliases", aliases)
        if self.key is not None:
            object.__setattr__(self, "key", clean_name(self.key, "entity key"))


@dataclass(frozen=True)
class RelationInput:
    """`subject` and `object` name (or alias) entities listed in the same chunk."""
    subject: str
    type: str
    object: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "subject", clean_name(self.subject, "relation subject"))
        object.__setattr__(self, "type", clean_name(self.type, "relation type", MAX_TYPE_CHARS))
        object.__setattr__(self, "object", clean_name(self.object, "relation object"))


@dataclass(frozen=True)
class ChunkFacts:
    chunk_id: str
    entities: Sequence[EntityInput] = ()
    relations: Sequence[RelationInput] = ()


@dataclass(frozen=True)
class DocumentFacts:
    """One document version's chunk facts, as `GraphStore.write_documents` takes them."""
    kb_id: str
    document_id: str
    version: int | str
    facts: Sequence[ChunkFacts]


@dataclass
class _WriteRows:
    """A write's parameters: one row per document, chunk, (entity, chunk) mention and (fact, chunk) support."""
    documents: list[dict] = field(default_factory=list)
    chunks: list[dict] = field(default_factory=list)
    entities: dict[str, dict] = field(default_factory=dict)
    mentions: list[dict] = field(default_factory=list)
    facts: dict[str, dict] = field(default_factory=dict)
    supports: list[dict] = field(default_factory=list)

    @property
    def entity_keys(self) -> set[str]:
        return set(self.entities)

    @property
    def fact_keys(self) -> set[str]:
        return set(self.facts)


# --- outputs --------------------------------------------------------------------------------------
@dataclass
class Provenance:
    chunk_ids: list[str] = field(default_factory=list)     # up to support_limit, sorted
    document_ids: list[str] = field(default_factory=list)  # documents of those chunks
    total: int = 0                                         # all supporting chunks


@dataclass
class EntityHit:
    key: str
    kb_id: str
    name: str
    type: str
    aliases: list[str]
    mentions: int
    provenance: Provenance = field(default_factory=Provenance)


@dataclass
class RelationHit:
    key: str
    kb_id: str
    type: str
    subject_key: str
    object_key: str
    support: int
    provenance: Provenance = field(default_factory=Provenance)


@dataclass
class GraphPath:
    entity_keys: list[str]    # seed first
    relation_keys: list[str]  # relation_keys[i] joins entity_keys[i] and entity_keys[i + 1]


@dataclass
class EntityDetail:
    entity: EntityHit
    relations: list[RelationHit]
    neighbours: list[EntityHit]


@dataclass
class GraphResult:
    paths: list[GraphPath]
    entities: dict[str, EntityHit]
    relations: dict[str, RelationHit]


@dataclass
class WriteResult:
    chunks: int
    entities: int
    relations: int
    removed_entities: int
    removed_relations: int


@dataclass
class GraphStats:
    entities: int
    relations: int
    chunks: int
    documents: int


# --- Cypher ---------------------------------------------------------------------------------------
# Provenance patterns (constants: labels and relationship types cannot be query parameters).
_MENTION_CHUNKS = "MATCH (n:Entity {key: k})-[:MENTIONED_IN]->(c:Chunk)"
_FACT_CHUNKS = "MATCH (n:Fact {key: k})-[:SUPPORTED_BY]->(c:Chunk)"
SCHEMA = [
    "CREATE CONSTRAINT zhiku_entity_key IF NOT EXISTS FOR (n:Entity) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT zhiku_chunk_key IF NOT EXISTS FOR (n:Chunk) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT zhiku_fact_key IF NOT EXISTS FOR (n:Fact) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT zhiku_alias_key IF NOT EXISTS FOR (n:Alias) REQUIRE n.key IS UNIQUE",
    "CREATE INDEX zhiku_entity_kb IF NOT EXISTS FOR (n:Entity) ON (n.kb_id)",
    "CREATE INDEX zhiku_chunk_document IF NOT EXISTS FOR (n:Chunk) ON (n.document_id)",
    "CREATE INDEX zhiku_chunk_kb IF NOT EXISTS FOR (n:Chunk) ON (n.kb_id)",
    "CREATE INDEX zhiku_fact_kb IF NOT EXISTS FOR (n:Fact) ON (n.kb_id)",
    "CREATE INDEX zhiku_alias_kb IF NOT EXISTS FOR (n:Alias) ON (n.kb_id)",
    "CREATE INDEX zhiku_relates_key IF NOT EXISTS FOR ()-[r:RELATES]-() ON (r.key)",
    "CREATE CONSTRAINT zhiku_meta_key IF NOT EXISTS FOR (n:GraphMeta) REQUIRE n.key IS UNIQUE",
]

_AFFECTED = """
UNWIND $chunk_keys AS ck
MATCH (c:Chunk {key: ck})
OPTIONAL MATCH (e:Entity)-[:MENTIONED_IN]->(c)
OPTIONAL MATCH (f:Fact)-[:SUPPORTED_BY]->(c)
RETURN collect(DISTINCT e.key) AS entity_keys, collect(DISTINCT f.key) AS fact_keys
"""
# The chunks a write replaces — every chunk of its documents recorded under another version, and those it writes
# again — with the entities and facts linked to them, in one round trip for all the documents of a write.
_REPLACED_CHUNKS = """
UNWIND $documents AS d
MATCH (c:Chunk {document_id: d.document_id})
WHERE c.kb_id = d.kb_id AND (c.version <> d.version OR c.key IN d.chunk_keys)
OPTIONAL MATCH (e:Entity)-[:MENTIONED_IN]->(c)
OPTIONAL MATCH (f:Fact)-[:SUPPORTED_BY]->(c)
RETURN collect(DISTINCT c.key) AS chunk_keys, collect(DISTINCT e.key) AS entity_keys,
       collect(DISTINCT f.key) AS fact_keys
"""
_DOCUMENT_CHUNKS = "MATCH (c:Chunk {document_id: $document_id}) RETURN c.key AS key, c.kb_id AS kb_id"
_DELETE_CHUNKS = "UNWIND $chunk_keys AS ck MATCH (c:Chunk {key: ck}) DETACH DELETE c"
_CREATE_CHUNKS = """
UNWIND $rows AS row
MERGE (c:Chunk {key: row.key})
SET c.kb_id = row.kb_id, c.document_id = row.document_id, c.version = row.version,
    c.chunk_id = row.chunk_id
"""
# One row per (entity, chunk) mention: the entity is merged (several rows may name it) and linked to the chunk.
_MERGE_MENTIONS = """
UNWIND $rows AS row
MERGE (e:Entity {key: row.entity_key})
ON CREATE SET e.kb_id = row.kb_id, e.name = row.name, e.name_norm = row.name_norm, e.type = row.type,
              e.aliases = [], e.names_norm = [], e.mentions = 0, e.kept_rkey = [], e.kept_rtype = [],
              e.kept_target = [], e.kept_forward = [], e.kept_support = [], e.kept_chunk = [], e.kept_document = [],
              e.kept_from = [0]
WITH e, row
MATCH (c:Chunk {key: row.chunk_key})
MERGE (e)-[m:MENTIONED_IN]->(c)
SET m.names = row.names
"""
# One row per (fact, supporting chunk): the fact node and its RELATES edge are merged, then linked to the chunk.
_MERGE_FACTS = """
UNWIND $rows AS row
MATCH (s:Entity {key: row.subject_key})
MATCH (o:Entity {key: row.object_key})
MERGE (f:Fact {key: row.key})
ON CREATE SET f.kb_id = row.kb_id, f.type = row.type, f.type_norm = row.type_norm,
              f.subject_key = row.subject_key, f.object_key = row.object_key, f.support = 0
MERGE (s)-[r:RELATES {key: row.key}]->(o)
ON CREATE SET r.kb_id = row.kb_id, r.type = row.type, r.support = 0
WITH f, row
MATCH (c:Chunk {key: row.chunk_key})
MERGE (f)-[:SUPPORTED_BY]->(c)
"""
# Support counted and stored in the round trip that reads it (the facts left at 0 are deleted next).
# A fact's first SUPPORT_KEPT chunks, by document then chunk (`chunks`, `documents`), and how many there are, for fact `f`.
# (An aggregate over no rows is one row, on both servers: a fact left without chunks gets empty lists and support 0.)
_SUPPORT_LISTS = """CALL {
  WITH f
  MATCH (f)-[:SUPPORTED_BY]->(c:Chunk)
  WITH c.document_id AS d, c.chunk_id AS ch ORDER BY d, ch
  RETURN collect(ch) AS chunks, collect(d) AS documents
}"""
_FACT_SUPPORT = f"""
UNWIND $keys AS k
MATCH (f:Fact {{key: k}})
{_SUPPORT_LISTS}
WITH f, size(chunks) AS support, chunks, documents
OPTIONAL MATCH (:Entity {{key: f.subject_key}})-[r:RELATES {{key: f.key}}]->(:Entity {{key: f.object_key}})
SET f.support = support, r.support = support, f.support_chunks = chunks[..$kept_chunks],
    f.support_documents = documents[..$kept_chunks]
RETURN DISTINCT f.key AS key, support, f.subject_key AS subject_key, f.object_key AS object_key, f.type AS type,
       chunks[..$kept_chunks] AS chunks, documents[..$kept_chunks] AS documents
"""
# Migration: the chunk lists of facts written before facts kept them (`ensure_fact_chunks`).
_FACT_CHUNK_LISTS = f"""
UNWIND $keys AS k
MATCH (f:Fact {{key: k}})
{_SUPPORT_LISTS}
SET f.support_chunks = chunks[..$kept_chunks], f.support_documents = documents[..$kept_chunks]
"""
_DELETE_FACTS = """
UNWIND $keys AS k
MATCH (f:Fact {key: k})
OPTIONAL MATCH (:Entity {key: f.subject_key})-[r:RELATES {key: k}]->(:Entity {key: f.object_key})
DELETE r
WITH DISTINCT f
DELETE f
"""
# Each entity's KEPT_RELATIONS best relations in the walk's order (support, then key): the relation, its type, the other
# end, whether the entity is its subject, its support (stored as parallel lists on its node by `_KEPT_SET`, with the
# chunks of those supported by at most KEPT_CHUNK_SUPPORT, `_FACT_CHUNKS_KEPT`). Read for the endpoints of relations
# a write or delete changed when their stored lists cannot tell (`_kept_update`), and by the migration for all.
_KEPT_RELATIONS = """
UNWIND $keys AS k
MATCH (e:Entity {key: k})
CALL {
  WITH e
  OPTIONAL MATCH (e)-[r:RELATES]-(m:Entity)
  WITH e, r, m ORDER BY r.support DESC, r.key LIMIT $kept
  RETURN collect(r.key) AS rkeys, collect(r.type) AS rtypes, collect(m.key) AS targets,
         collect(startNode(r) = e) AS forward, collect(r.support) AS supports
}
RETURN e.key AS key, rkeys AS rkey, rtypes AS rtype, targets AS target, forward, supports AS support
"""
# The facts' kept chunks, for the kept relations supported by at most KEPT_CHUNK_SUPPORT chunks (`_kept_lists`).
_FACT_CHUNKS_KEPT = """
UNWIND $keys AS k
MATCH (f:Fact {key: k})
RETURN f.key AS key, f.support_chunks AS chunks, f.support_documents AS documents
"""
# Migration: what an entity's kept chunk lists are computed from (its kept relations and their support).
_KEPT_OF = ("UNWIND $keys AS k MATCH (e:Entity {key: k}) "
            "RETURN e.key AS key, e.kept_rkey AS rkey, e.kept_support AS support")
# (Read under the entity's write lock: the counter's SET takes it before the lists are read, so two writes updating one
# entity's lists at once are serialised on Neo4j — ArcadeDB reports the conflict and the write is retried — rather
# than the later one overwriting the earlier one's update with a list computed from what it read before.)
_KEPT_READ = """
UNWIND $keys AS k
MATCH (e:Entity {key: k})
SET e.kept_version = coalesce(e.kept_version, 0) + 1
RETURN e.key AS key, e.kept_rkey AS rkey, e.kept_rtype AS rtype, e.kept_target AS target, e.kept_forward AS forward,
       e.kept_support AS support, e.kept_chunk AS chunk, e.kept_document AS document, e.kept_from AS start
"""
_KEPT_SET = """
UNWIND $rows AS row
MATCH (e:Entity {key: row.key})
SET e.kept_rkey = row.rkey, e.kept_rtype = row.rtype, e.kept_target = row.target, e.kept_forward = row.forward,
    e.kept_support = row.support, e.kept_chunk = row.chunk, e.kept_document = row.document, e.kept_from = row.start
"""
_KEPT_CHUNKS_SET = """
UNWIND $rows AS row
MATCH (e:Entity {key: row.key})
SET e.kept_chunk = row.chunk, e.kept_document = row.document, e.kept_from = row.start
"""
# Every write and delete counts itself, in its transaction, on its process's counter of each knowledge base it touched:
# other processes' in-process copies of graph contents (the linker's name index) poll the counters (`changes`, one
# small query) to know when to read again.
_CHANGES = """
UNWIND $kb_ids AS kb
MERGE (g:GraphMeta {key: 'changes/' + kb + '/' + $writer})
ON CREATE SET g.of_kb = kb, g.seq = 0
SET g.seq = g.seq + 1
"""
_KEPT_MARK = "MERGE (g:GraphMeta {key: $what}) SET g.size = $kept"
_KEPT_READY = ("MATCH (g:GraphMeta) WHERE g.key IN ['kept_relations', 'fact_chunks', 'kept_chunks'] "
               "RETURN g.key AS key, g.size AS size")
# what each mark's size must be for the lists it marks to be the ones this code reads
_MARKS = {"kept_relations": KEPT_RELATIONS, "fact_chunks": SUPPORT_KEPT, "kept_chunks": KEPT_CHUNK_SUPPORT}
assert KEPT_CHUNK_SUPPORT <= SUPPORT_KEPT  # an entity keeps a relation's chunks whole, as its fact keeps them
_ENTITY_MENTIONS = """
UNWIND $keys AS k
MATCH (e:Entity {key: k})
OPTIONAL MATCH (e)-[m:MENTIONED_IN]->(:Chunk)
RETURN e.key AS key, e.kb_id AS kb_id, e.name AS name, e.names_norm AS old_norms,
       collect(m.names) AS name_lists
"""
_DELETE_ENTITIES = "UNWIND $keys AS k MATCH (e:Entity {key: k}) DETACH DELETE e"
# Names, aliases and mentions as recomputed, and the alias index entries the entity gained.
_UPDATE_ENTITIES = """
UNWIND $rows AS row
MATCH (e:Entity {key: row.key})
SET e.name = row.name, e.name_norm = row.name_norm, e.aliases = row.aliases,
    e.names_norm = row.names_norm, e.mentions = row.mentions
WITH e, row
UNWIND row.new_aliases AS alias
MERGE (a:Alias {key: alias.alias_key})
ON CREATE SET a.kb_id = alias.kb_id, a.norm = alias.norm
MERGE (a)-[:ALIAS_OF]->(e)
"""
_DROP_ALIASES = """
UNWIND $rows AS row
MATCH (a:Alias {key: row.alias_key})-[x:ALIAS_OF]->(e:Entity {key: row.entity_key})
DELETE x
"""
_DELETE_ORPHAN_ALIASES = """
UNWIND $keys AS k
MATCH (a:Alias {key: k})
WHERE NOT EXISTS { (a)-[:ALIAS_OF]->(:Entity) }
DELETE a
"""

_ENTITY_FIELDS = ("e.key AS key, e.kb_id AS kb_id, e.name AS name, e.type AS type, e.aliases AS aliases, "
                  "e.mentions AS mentions")
_RELATION_FIELDS = ("r.key AS rkey, r.kb_id AS rkb, r.type AS rtype, startNode(r).key AS subject_key, "
                    "endNode(r).key AS object_key, r.support AS support")


def _visible_entity(var: str, document_ids) -> str:
    """A condition (appended with AND) that entity `var` is mentioned in a readable chunk; '' when unrestricted."""
    if document_ids is None:
        return ""
    return f" AND EXISTS {{ MATCH ({var})-[:MENTIONED_IN]->(vc:Chunk) WHERE vc.document_id IN $docs }}"


def _visible_fact(rel: str, document_ids) -> str:
    """A condition (appended with AND) that relation `rel`'s fact is supported by a readable chunk."""
    if document_ids is None:
        return ""
    return (f" AND EXISTS {{ MATCH (vf:Fact {{key: {rel}.key}})-[:SUPPORTED_BY]->(vc:Chunk) "
            "WHERE vc.document_id IN $docs }")


def _mention_chunks(document_ids) -> str:
    """A subquery collecting entity `e`'s (readable) mention chunks in order, so an entity read brings its
    provenance in the same query (`_PROVENANCE_FIELDS`) instead of a second round trip."""
    readable = "" if document_ids is None else "WHERE c.document_id IN $docs"
    return f"""CALL {{
              WITH e
              MATCH (e)-[m:MENTIONED_IN]->(c:Chunk) {readable}
              WITH c, m ORDER BY c.document_id, c.chunk_id
              RETURN collect(c) AS chunks, collect(m.names) AS name_lists
            }}"""


def _readable_mentions(document_ids) -> str:
    """With restricted access, a subquery collecting the names entity `e`'s readable mentions use (`name_lists`)."""
    if document_ids is None:
        return ""
    return """CALL {
              WITH e
              MATCH (e)-[m:MENTIONED_IN]->(c:Chunk) WHERE c.document_id IN $docs
              RETURN collect(m.names) AS name_lists
            }"""


_PROVENANCE_FIELDS = ("size(chunks) AS total, [c IN chunks[..$n] | c.chunk_id] AS chunk_ids, "
                      "[c IN chunks[..$n] | c.document_id] AS document_ids")
# With `_mention_chunks` restricted to the readable chunks: the names those mentions use (an alias only a hidden
# document uses is not shown), read in the same query rather than a second round trip.
_READABLE_NAMES_FIELD = ", name_lists"


def _apply_readable_names(hit: "EntityHit", name_lists: list) -> None:
    """Names, aliases and mention count as the readable chunks state them (an entity's names are exactly the
    names its mentions used)."""
    names = list(dict.fromkeys(n for names in name_lists for n in names or []))
    if not names:
        return
    hit.name = hit.name if hit.name in names else names[0]
    hit.aliases = [n for n in names if n != hit.name]
    hit.mentions = len(name_lists)


def _docs(document_ids) -> dict:
    return {} if document_ids is None else {"docs": list(document_ids)}


def _relation_provenance(rel: str, out: str, document_ids) -> str:
    """A subquery collecting relation `rel`'s (readable) supporting chunks, in order, as `out`."""
    readable = "" if document_ids is None else "WHERE c.document_id IN $docs"
    return f"""CALL {{
              WITH {rel}
              MATCH (f:Fact {{key: {rel}.key}})-[:SUPPORTED_BY]->(c:Chunk) {readable}
              WITH c ORDER BY c.document_id, c.chunk_id
              RETURN collect(c) AS {out}
            }}"""


def _edges_of(node: str, rel: str, target: str, document_ids, cap: str = "cap", came_by: str | None = None) -> str:
    """The best-supported `$<cap>` RELATES edges of `node` (readable ones), as `rel` to `target`; `came_by`: the
    relation the walk reached `node` through, which is not followed back (it would take a place under the cap and
    reach nothing new)."""
    back = "" if came_by is None else f" AND {rel} <> {came_by}"
    return f"""CALL {{
              WITH {node}{"" if came_by is None else f", {came_by}"}
              MATCH ({node})-[{rel}:RELATES]-({target}:Entity)
              WHERE {rel}.kb_id IN $kb_ids{back}{_visible_fact(rel, document_ids)}
              RETURN {rel}, {target} ORDER BY {rel}.support DESC, {rel}.key LIMIT ${cap}
            }}"""


def _edge_fields(rel: str, source: str, target: str, chunks: str | None) -> list[tuple[str, str]]:
    """Columns of an edge; `chunks` None: the second hop's, without its chunks and its target's names (a bridge
    entity is a first-hop target; the names of the entities reached are read again when the subgraph is shown)."""
    names = [("tname", f"{target}.name"), ("taliases", f"{target}.aliases"), ("ttype", f"{target}.type"),
             ("tmentions", f"{target}.mentions"), ("tkb", f"{target}.kb_id")]
    return [("source", f"{source}.key"), ("target", f"{target}.key"), ("rkey", f"{rel}.key"),
            ("rkb", f"{rel}.kb_id"), ("rtype", f"{rel}.type"), ("subject_key", f"startNode({rel}).key"),
            ("object_key", f"endNode({rel}).key"), ("support", f"{rel}.support")] + ([] if chunks is None else names + [
            ("total", f"size({chunks})"), ("chunk_ids", f"[c IN {chunks}[..$n] | c.chunk_id]"),
            ("document_ids", f"[c IN {chunks}[..$n] | c.document_id]")])


def _one_hop(document_ids) -> str:
    fields = ", ".join(f"{v} AS {k}" for k, v in _edge_fields("r", "n", "m", "chunks"))
    return f"""
            UNWIND $keys AS k
            MATCH (n:Entity {{key: k}})
            {_edges_of("n", "r", "m", document_ids)}
            {_relation_provenance("r", "chunks", document_ids)}
            RETURN {fields}
            """


# The second hop's columns (`h2_*` lists in a `_two_hops` row): its source is the row's target, and its subject and
# object are that source and `target` in the order `forward` says, so the server sends two entity keys an edge instead
# of five (the second hop is most of what the walk's query reads and sends: 20-30% less server CPU, a third less
# decoding here); `_unpack` gives back the rows `_edge_fields` would.
_SECOND_HOP_FIELDS = [("rkey", "r2.key"), ("rkb", "r2.kb_id"), ("rtype", "r2.type"), ("target", "x.key"),
                      ("forward", "startNode(r2) = m"), ("support", "r2.support")]


def _two_hops(document_ids) -> str:
    """The first hop's edges with their chunks, each with the second hop's edges of its target as parallel lists
    (`h2_*`, `_SECOND_HOP_FIELDS`), without their chunks: most second-hop edges are not kept (the entity limit), and
    reading the chunks of all of them made the query several times slower; those kept are read after
    (`_fact_provenance`)."""
    first = ", ".join(f"{v} AS {k}" for k, v in _edge_fields("r", "n", "m", "chunks"))
    second = ", ".join(f"collect({v}) AS h2_{k}" for k, v in _SECOND_HOP_FIELDS)
    return f"""
            UNWIND $keys AS k
            MATCH (n:Entity {{key: k}})
            {_edges_of("n", "r", "m", document_ids)}
            {_relation_provenance("r", "chunks", document_ids)}
            CALL {{
              WITH m, r
              {_edges_of("m", "r2", "x", document_ids, "cap2", came_by="r")}
              RETURN {second}
            }}
            RETURN {first}, {", ".join(f"h2_{k}" for k, _ in _SECOND_HOP_FIELDS)}
            """


def _unpack(row: dict) -> list[dict]:
    """The second-hop edges of a `_two_hops` row, as rows of their own (the columns of `_edge_fields(…, None)`); those
    of a `_kept_walk` row (`_kept_rows`) with their chunks."""
    if "h2_kept" in row:
        facts, columns = row["h2_kept"]
        return [_kept_edge(facts, row["target"], target, rkey, row["tkb"], rtype, forward, support, chunk_ids,
                           document_ids)
                for rkey, rtype, target, forward, support, chunk_ids, document_ids in zip(*columns)]
    source = row["target"]
    return [{"source": source, "target": target, "rkey": rkey, "rkb": rkb, "rtype": rtype,
             "subject_key": source if forward else target, "object_key": target if forward else source,
             "support": support}
            for rkey, rkb, rtype, target, forward, support in zip(
                row["h2_rkey"] or [], row["h2_rkb"] or [], row["h2_rtype"] or [], row["h2_target"] or [],
                row["h2_forward"] or [], row["h2_support"] or [])]


def chunk_lists(relations: Iterable[tuple]) -> dict:
    """The `kept_chunk`, `kept_document` and `kept_from` lists (as `chunk`, `document`, `start`) of an entity whose kept
    relations, in order, are `relations`: (support, chunks, documents), the chunks and documents the fact's kept lists
    (`support_chunks`, `support_documents`; not read, and may be None, when the support is over KEPT_CHUNK_SUPPORT)."""
    chunk: list[str] = []
    document: list[str] = []
    start = [0]
    for support, chunks, documents in relations:
        if support <= KEPT_CHUNK_SUPPORT:
            chunk += chunks or []
            document += documents or []
        start.append(len(chunk))
    return {"chunk": chunk, "document": document, "start": start}


def kept_lists(key: str, relations: Iterable[tuple]) -> dict:
    """An entity's kept lists (the `_KEPT_SET` row) from its relations as (support, relation key, type, other end,
    whether the entity is the subject, the fact's kept chunks, its kept documents): the KEPT_RELATIONS best by support,
    then key (the walk's order), with the chunks of those supported by at most KEPT_CHUNK_SUPPORT (`chunk_lists`).
    The write path, its migrations and the bench's bulk load all build the lists here, so they are the same."""
    kept = sorted(relations, key=lambda e: (-e[0], e[1]))[:KEPT_RELATIONS]
    return {"key": key, "rkey": [e[1] for e in kept], "rtype": [e[2] for e in kept], "target": [e[3] for e in kept],
            "forward": [e[4] for e in kept], "support": [e[0] for e in kept]} | chunk_lists(
        (e[0], e[5], e[6]) for e in kept)


def _kept_update(row: dict, changes: list[tuple[str, dict, bool]]) -> dict | None:
    """An entity's new kept lists (the `_KEPT_SET` row) from its stored ones (`_KEPT_READ` row) and the changed facts
    it is an end of (key, the fact's new support — 0: deleted —, ends, type and kept chunks, whether it is the subject);
    None when they cannot tell: no lists yet (a graph not migrated), or a full list (KEPT_RELATIONS: the entity may
    have more relations) that loses a kept relation or some of a kept relation's support — a relation not kept may now
    belong. A kept relation the changes do not name keeps its stored chunks (its fact's chunks change only with a
    change to its support or chunks, and every fact a write touches is in the changes)."""
    if row["rkey"] is None or row["start"] is None or len(row["start"]) != len(row["rkey"]) + 1:
        return None
    chunk, document, start = row["chunk"] or [], row["document"] or [], row["start"]
    entries = {k: (n, k, t, x, f, chunk[start[j]:start[j + 1]], document[start[j]:start[j + 1]])
               for j, (k, t, x, f, n) in enumerate(zip(row["rkey"], row["rtype"], row["target"], row["forward"],
                                                       row["support"]))}
    complete = len(row["rkey"]) < KEPT_RELATIONS  # every relation of the entity is in the list
    for key, fact, subject in changes:
        old = entries.pop(key, None)
        if old is not None and fact["support"] < old[0] and not complete:
            return None
        if fact["support"] > 0:
            entries[key] = (fact["support"], key, fact["type"], fact["object"] if subject else fact["subject"], subject,
                            fact["chunks"], fact["documents"])
    return kept_lists(row["key"], entries.values())


# The first-hop columns of a `_kept_walk` row (a list: a row of maps cost more to build and send), then, with the second
# hop, its columns (lists, one item per second-hop relation).
_KEPT_FIRST = ("seed", "rank", "source", "target", "rkey", "rkb", "rtype", "forward", "support", "tname", "taliases",
               "ttype", "tmentions", "tkb", "chunk_ids", "document_ids")
_KEPT_SECOND = ("rkey", "rtype", "target", "forward", "support", "chunk_ids", "document_ids")


def _kept_walk(second_hop: bool) -> str:
    """One hop (`_one_hop`, unrestricted) or two (`_two_hops`) from the entities' kept lists, in one statement that
    returns one row. The first hop's relations are the seeds' first `$cap` kept relations (the edges `_edges_of` would
    return, in its order, read from the entity's node instead of sorting all its RELATES edges); the second hop's, each
    bridge's first `$cap2` other than the relation the walk came by (the kept lists hold more than `$cap2`, or all of an
    entity's relations), so a hub costs the server `$cap` relations, not all of them. Every relation's chunks come from
    the kept chunk lists of the entity it was read from (`KEPT_CHUNK_SUPPORT`); those of a relation supported by more
    chunks, from its fact: one subquery for the whole walk, seeking only those facts (`fkey`, `fchunks`, `fdocs`).
    Each node's lists are bound to names once: every `n.kept_x[i]` decodes the whole list again (a bridge's lists
    were read 20 times a row). `rows`: every first-hop row as a list (`_KEPT_FIRST`, then `_KEPT_SECOND` with the
    second hop), gathered without grouping keys; `_kept_rows` gives back `_edge_fields`-like rows. (Session 26's walk
    read the second hop's chunks in a `CALL {}` per first-hop row, seeking every relation's fact: a third of the
    walk's server CPU, most of it the subquery per row; docs/benchmarks.md.)"""
    first = ("s, i, n.key, m.key, nr[i], n.kb_id, nt[i], nf[i], ns[i], m.name, m.aliases, m.type, m.mentions, m.kb_id, "
             "nc[no[i]..no[i + 1]][..$n], nd[no[i]..no[i + 1]][..$n]")
    need = "CASE WHEN ns[i] > $inline THEN [nr[i]] ELSE [] END"
    bridge, second = "", ""
    if second_hop:
        bridge = """
            WITH s, i, n, nr, nt, nf, ns, nc, nd, no, m, m.kept_rkey AS mr, m.kept_rtype AS mt, m.kept_target AS mx,
                 m.kept_forward AS mf, m.kept_support AS ms, m.kept_chunk AS mc, m.kept_document AS md,
                 m.kept_from AS mo
            WITH s, i, n, nr, nt, nf, ns, nc, nd, no, m, mr, mt, mx, mf, ms, mc, md, mo,
                 [j IN range(0, size(coalesce(mr, [])) - 1) WHERE mr[j] <> nr[i]][..$cap2] AS js"""
        second = (", [j IN js | mr[j]], [j IN js | mt[j]], [j IN js | mx[j]], [j IN js | mf[j]], [j IN js | ms[j]], "
                  "[j IN js | mc[mo[j]..mo[j + 1]][..$n]], [j IN js | md[mo[j]..mo[j + 1]][..$n]]")
        need += " + [j IN js WHERE ms[j] > $inline | mr[j]]"
    return f"""
            UNWIND range(0, size($keys) - 1) AS s
            WITH s, $keys[s] AS k
            MATCH (n:Entity {{key: k}})
            WHERE n.kb_id IN $kb_ids
            WITH s, n, n.kept_rkey AS nr, n.kept_rtype AS nt, n.kept_target AS nx, n.kept_forward AS nf,
                 n.kept_support AS ns, n.kept_chunk AS nc, n.kept_document AS nd, n.kept_from AS no
            UNWIND range(0, size(coalesce(nr, [])[..$cap]) - 1) AS i
            MATCH (m:Entity {{key: nx[i]}}){bridge}
            WITH collect([{first}{second}]) AS rows, collect({need}) AS need
            CALL {{
              WITH need
              UNWIND reduce(a = [], x IN need | a + x) AS fk
              MATCH (f:Fact {{key: fk}})
              RETURN collect(f.key) AS fkey, collect(f.support_chunks[..$n]) AS fchunks,
                     collect(f.support_documents[..$n]) AS fdocs
            }}
            RETURN rows, fkey, fchunks, fdocs
            """


def _kept_edge(facts: dict, source: str, target: str, rkey: str, rkb: str, rtype: str, forward: bool, support: int,
               chunk_ids, document_ids) -> dict:
    """An edge of a `_kept_walk` reply as an `_edge_fields` row, with its chunks: from the entity's lists, or, for a
    relation supported by more than KEPT_CHUNK_SUPPORT chunks, from its fact (`facts`: key → chunks, documents); a
    fact gone when read (deleted meanwhile) leaves the edge without chunks, read after (`_fact_provenance`)."""
    found = {"source": source, "target": target, "rkey": rkey, "rkb": rkb, "rtype": rtype,
             "subject_key": source if forward else target, "object_key": target if forward else source,
             "support": support}
    if support > KEPT_CHUNK_SUPPORT:
        chunk_ids, document_ids = facts.get(rkey, (None, None))
    if chunk_ids is not None:
        found.update(total=support, chunk_ids=chunk_ids, document_ids=document_ids)
    return found


def _kept_rows(reply: list[dict]) -> list[dict]:
    """The rows of a `_kept_walk` reply as `_edge_fields(…, "chunks")` rows plus `seed` and `rank`, in the walk's
    order (seed, then relation), each relation with its chunks (`_kept_edge`); with the second hop, its columns as
    read (`h2_kept`), made edges only for the bridges the walk goes on from (`_unpack`)."""
    if not reply:
        return []
    facts = {k: (c, d) for k, c, d in zip(reply[0]["fkey"], reply[0]["fchunks"], reply[0]["fdocs"])}
    rows = []
    for values in sorted(reply[0]["rows"], key=lambda r: (r[0], r[1])):
        row = dict(zip(_KEPT_FIRST, values))
        first = _kept_edge(facts, row["source"], row["target"], row["rkey"], row["rkb"], row["rtype"], row["forward"],
                           row["support"], row["chunk_ids"], row["document_ids"])
        first.update({k: row[k] for k in ("seed", "rank", "tname", "taliases", "ttype", "tmentions", "tkb")})
        if len(values) > len(_KEPT_FIRST):
            first["h2_kept"] = (facts, values[len(_KEPT_FIRST):])
        rows.append(first)
    return rows


def _edge(row: dict) -> dict:
    row = dict(row)
    if "tname" in row:
        row["target_names"] = (row["tname"], row["taliases"], row["ttype"], row["tmentions"], row["tkb"])
    return row


class GraphStore:
    """Facts per knowledge base with chunk-level provenance, over a `neo4j.Driver`."""

    def __init__(self, driver: Driver, database: str | None = None, *, support_limit: int = 100) -> None:
        self.driver = driver
        self.database = database
        self.support_limit = support_limit
        self._kept = (False, 0.0)  # (the kept lists are complete, when to ask again if not): `_kept_ready`

    # --- plumbing -------------------------------------------------------------------------------
    def _session(self):
        return self.driver.session(database=self.database)

    def _read(self, cypher: str, **params) -> list[dict]:
        """One read as an auto-commit query: one round trip to the server. A managed read transaction
        (`execute_read`) took three — BEGIN, the query, COMMIT —, about half of graph mode's waiting in the profile
        (docs/profiles/README.md); a read has nothing to commit. Retried like a managed transaction on the errors
        a retry can cure (a connection closed under it, a transient server error).
        Rows are the records' values as the driver decoded them (every query here returns properties, lists and maps,
        never a whole node or relationship): `Record.data()`, which walks every value again to convert graph
        objects, was a third of decoding a walk's reply."""
        for attempt in range(_READ_ATTEMPTS):
            try:
                with self.driver.session(database=self.database, default_access_mode=READ_ACCESS) as session:
                    result = session.run(cypher, params)
                    keys = result.keys()
                    return [dict(zip(keys, values)) for values in result.values()]
            except (ServiceUnavailable, SessionExpired, TransientError):
                if attempt == _READ_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        return []

    def ping(self) -> bool:
        return self._read("RETURN 1 AS ok")[0]["ok"] == 1

    def ensure_schema(self) -> None:
        with self._session() as session:
            for statement in SCHEMA:
                session.run(statement).consume()
        # the facts' chunk lists first: the entities' kept chunks are read from them
        self.ensure_fact_chunks()
        self.ensure_kept_relations()
        self.ensure_kept_chunks()

    def _marks(self) -> dict[str, int]:
        return {r["key"]: r["size"] for r in self._read(_KEPT_READY)}

    def _migrate(self, what: str, label: str, work: Callable[[ManagedTransaction, list[str]], None]) -> int:
        """Runs `work(tx, keys)` over every `label` node of the graph, a knowledge base at a time (through the kb_id
        index) in transactions of MIGRATION_BATCH nodes, then marks the graph (`_KEPT_MARK`). Returns the nodes
        updated (0 when the graph was already marked)."""
        if self._marks().get(what) == _MARKS[what]:
            self._kept = (self._all_marked(), 0.0)
            return 0
        updated = 0
        # labels cannot be parameters: `label` is one of this module's constants
        kb_ids = [r["kb"] for r in self._read(f"MATCH (n:{label}) RETURN DISTINCT n.kb_id AS kb")]
        with self._session() as session:
            for kb_id in kb_ids:
                keys = [r["key"] for r in self._read(f"MATCH (n:{label}) WHERE n.kb_id = $kb RETURN n.key AS key",
                                                     kb=kb_id)]
                for start in range(0, len(keys), MIGRATION_BATCH):
                    batch = keys[start:start + MIGRATION_BATCH]
                    session.execute_write(lambda tx, b=batch: work(tx, b))
                updated += len(keys)
            session.execute_write(lambda tx: tx.run(_KEPT_MARK, what=what, kept=_MARKS[what]).consume())
        _WRITES[0] += 1
        self._kept = (self._all_marked(), 0.0)
        return updated

    def _all_marked(self) -> bool:
        marks = self._marks()
        return all(marks.get(what) == size for what, size in _MARKS.items())

    def ensure_kept_relations(self) -> int:
        """Migration: a graph written before the entities kept their best relations (or with another
        KEPT_RELATIONS) gets every entity's kept lists computed, in transactions of MIGRATION_BATCH entities, then
        marked complete; until then the walk reads the RELATES edges (the results are the same, only slower).
        Writes maintain the lists all along, so a write during the migration leaves them right. Returns the entities
        updated (0 when the graph was already marked)."""
        return self._migrate("kept_relations", "Entity", _reread_kept)

    def ensure_fact_chunks(self) -> int:
        """Migration: a graph written before facts kept their first SUPPORT_KEPT chunks (`support_chunks`,
        `support_documents`) gets them computed for every fact, in transactions of MIGRATION_BATCH facts, then
        marked; until then the walk reads the SUPPORTED_BY edges (same results, more round trips). Writes keep the
        lists all along. Returns the facts updated (0 when the graph was already marked)."""
        return self._migrate("fact_chunks", "Fact",
                             lambda tx, keys: tx.run(_FACT_CHUNK_LISTS, keys=keys, kept_chunks=SUPPORT_KEPT).consume())

    def ensure_kept_chunks(self) -> int:
        """Migration: a graph whose entities kept their best relations but not those relations' chunks
        (`kept_chunk`, `kept_document`, `kept_from`; or kept them for another KEPT_CHUNK_SUPPORT) gets them computed
        from the entities' kept relations and their facts' kept chunks, in transactions of MIGRATION_BATCH entities,
        then marked; until then the walk reads the edges (same results). Run after `ensure_fact_chunks` and
        `ensure_kept_relations` (`ensure_schema` does). Returns the entities updated (0 when already marked)."""
        return self._migrate("kept_chunks", "Entity", _set_kept_chunks)

    def _kept_ready(self) -> bool:
        """Whether every entity's kept lists and every fact's chunk lists are there (the graph is marked by both
        migrations); a graph not yet migrated is asked again a minute later."""
        ready, ask_at = self._kept
        if ready or time.monotonic() < ask_at:
            return ready
        ready = self._all_marked()
        self._kept = (ready, time.monotonic() + 60.0)
        return ready

    # --- writes ---------------------------------------------------------------------------------
    def write_chunk_facts(self, kb_id: str, document_id: str, version: int | str,
                          facts: Sequence[ChunkFacts]) -> WriteResult:
        return self.write_documents([DocumentFacts(kb_id, document_id, version, facts)])

    def write_documents(self, documents: Sequence[DocumentFacts]) -> WriteResult:
        """Several documents' chunk facts in one transaction, each with `write_chunk_facts`'s effect: the round
        trips are per write, not per document (a one-chunk document's write was ≈ 12 statements, most of the graph
        server's work; docs/profiles). A document may appear once per call."""
        rows = self._prepare(documents)
        if not rows.documents:
            return WriteResult(0, 0, 0, 0, 0)
        try:
            with self._session() as session:
                return session.execute_write(self._write_rows, rows)
        finally:
            _WRITES[0] += 1

    def _write_rows(self, tx: ManagedTransaction, rows: _WriteRows) -> WriteResult:
        """`write_documents`' work inside its transaction."""
        record = tx.run(_REPLACED_CHUNKS, documents=rows.documents).single()
        replaced = list(record["chunk_keys"]) if record else []
        entity_keys = set(record["entity_keys"]) if record else set()
        fact_keys = set(record["fact_keys"]) if record else set()
        if replaced:
            tx.run(_DELETE_CHUNKS, chunk_keys=replaced).consume()
        if rows.chunks:
            tx.run(_CREATE_CHUNKS, rows=rows.chunks).consume()
        if rows.mentions:
            tx.run(_MERGE_MENTIONS, rows=rows.mentions).consume()
        if rows.supports:
            tx.run(_MERGE_FACTS, rows=rows.supports).consume()
        removed_facts, changed = self._refresh_facts(tx, fact_keys | rows.fact_keys)
        removed_entities = self._refresh_entities(tx, entity_keys | rows.entity_keys)
        self._refresh_kept(tx, changed)
        _count_change(tx, {d["kb_id"] for d in rows.documents})
        return WriteResult(chunks=len(rows.chunks), entities=len(rows.entity_keys), relations=len(rows.fact_keys),
                           removed_entities=removed_entities, removed_relations=removed_facts)

    def rehearse_writes(self) -> None:
        """Run the write path's statements on made-up facts (`rehearsal_writes`) in one transaction that is then rolled
        back: nothing is stored, nothing counts as a change. A freshly started local graph server's JVM interprets and
        compiles the code of these statements the first times it runs them: over the bench's 80 one-chunk documents
        its first writes cost 1.2-1.6 CPU-s against 0.4-0.5 once warm (docs/benchmarks.md, session 29). Run once after
        the server is launched, beside the models' warm-up, the first documents are written at the warm cost; the
        server's CPU is spent at start instead (about the same amount), not saved."""
        with self._session() as session:
            tx = session.begin_transaction()
            try:
                for documents in rehearsal_writes():
                    self._write_rows(tx, self._prepare(documents))
            finally:
                tx.rollback()

    @staticmethod
    def _prepare(documents: Sequence[DocumentFacts]) -> _WriteRows:
        rows = _WriteRows()
        seen_documents: set[tuple[str, str]] = set()
        for document in documents:
            kb_id = clean_name(document.kb_id, "kb_id")
            document_id = clean_name(document.document_id, "document_id")
            version = str(document.version)
            if (kb_id, document_id) in seen_documents:
                raise ValueError(f"document {document_id!r} appears twice in one write")
            seen_documents.add((kb_id, document_id))
            chunk_keys: list[str] = []
            for chunk in document.facts:
                chunk_id = clean_name(chunk.chunk_id, "chunk_id")
                ckey = chunk_key(kb_id, document_id, chunk_id)
                if ckey in chunk_keys:
                    raise ValueError(f"chunk {chunk_id!r} appears twice in one write")
                chunk_keys.append(ckey)
                rows.chunks.append({"key": ckey, "kb_id": kb_id, "document_id": document_id, "version": version,
                                    "chunk_id": chunk_id})
                by_name: dict[str, str] = {}
                chunk_names: dict[str, list[str]] = {}
                for entity in chunk.entities:
                    ekey = entity_key(kb_id, entity.type, entity.name, entity.key)
                    rows.entities.setdefault(ekey, {"entity_key": ekey, "kb_id": kb_id, "name": entity.name,
                                                    "name_norm": normalise(entity.name), "type": entity.type})
                    names = chunk_names.setdefault(ekey, [])
                    for name in (entity.name, *entity.aliases):
                        if name not in names:
                            names.append(name)
                        by_name.setdefault(normalise(name), ekey)
                for ekey, names in chunk_names.items():
                    rows.mentions.append({**rows.entities[ekey], "chunk_key": ckey, "names": names})
                supported: set[str] = set()
                for relation in chunk.relations:
                    try:
                        skey, okey = by_name[normalise(relation.subject)], by_name[normalise(relation.object)]
                    except KeyError as exc:
                        raise ValueError(f"relation {relation.subject!r} -[{relation.type}]-> {relation.object!r} "
                                         f"in chunk {chunk_id!r} names an entity not listed in that chunk") from exc
                    fkey = fact_key(kb_id, skey, relation.type, okey)
                    fact = rows.facts.setdefault(fkey, {"key": fkey, "kb_id": kb_id, "type": relation.type,
                                                        "type_norm": normalise(relation.type),
                                                        "subject_key": skey, "object_key": okey})
                    if fkey not in supported:
                        supported.add(fkey)
                        rows.supports.append({**fact, "chunk_key": ckey})
            rows.documents.append({"kb_id": kb_id, "document_id": document_id, "version": version,
                                   "chunk_keys": chunk_keys})
        return rows

    @staticmethod
    def _affected(tx: ManagedTransaction, chunk_keys: list[str]) -> tuple[set[str], set[str]]:
        if not chunk_keys:
            return set(), set()
        record = tx.run(_AFFECTED, chunk_keys=chunk_keys).single()
        if record is None:
            return set(), set()
        return set(record["entity_keys"]), set(record["fact_keys"])

    @staticmethod
    def _refresh_facts(tx: ManagedTransaction, keys: Iterable[str]) -> tuple[int, dict[str, dict]]:
        """Delete facts left without support; store the support count of the others. Returns the facts deleted and
        every fact's support (0: deleted), ends and type, for the kept relations of its ends (`_refresh_kept`)."""
        keys = sorted(keys)
        if not keys:
            return 0, {}
        changed = {r["key"]: {"support": r["support"], "subject": r["subject_key"], "object": r["object_key"],
                              "type": r["type"], "chunks": list(r["chunks"] or []),
                              "documents": list(r["documents"] or [])}
                   for r in tx.run(_FACT_SUPPORT, keys=keys, kept_chunks=SUPPORT_KEPT)}  # stored as it is read
        dead = [k for k, f in changed.items() if f["support"] == 0]
        if dead:
            tx.run(_DELETE_FACTS, keys=dead).consume()
        return len(dead), changed

    @staticmethod
    def _refresh_kept(tx: ManagedTransaction, changed: dict[str, dict]) -> None:
        """The kept relations of the ends of the facts a write or delete changed (`_refresh_facts`; ends deleted
        meanwhile are skipped). Most are updated from their stored lists and the changes alone (`_kept_update`): a
        list that holds all the entity's relations, or changes that only add relations or support, give the new list
        exactly. Only an entity with a full list that loses a kept relation or some of its support is read again
        from its RELATES edges (`_KEPT_RELATIONS`: its relations' cost, once)."""
        by_entity: dict[str, list[tuple[str, dict, bool]]] = {}
        for key, fact in changed.items():
            if fact["subject"] is None or fact["object"] is None:
                continue
            by_entity.setdefault(fact["subject"], []).append((key, fact, True))
            if fact["object"] != fact["subject"]:  # a relation of an entity to itself: once (as (e)-[r]-(m) reads it)
                by_entity.setdefault(fact["object"], []).append((key, fact, False))
        if not by_entity:
            return
        updates, reread = [], []
        for row in tx.run(_KEPT_READ, keys=sorted(by_entity)):
            new = _kept_update(row, by_entity[row["key"]])
            if new is None:
                reread.append(row["key"])
            elif any(new[c] != list(row[c] or []) for c in new if c != "key"):
                updates.append(new)
        if updates:
            tx.run(_KEPT_SET, rows=updates).consume()
        if reread:
            _reread_kept(tx, reread)

    @staticmethod
    def _refresh_entities(tx: ManagedTransaction, keys: Iterable[str]) -> int:
        """Delete entities no chunk mentions any more; recompute names, aliases and alias index."""
        keys = sorted(keys)
        if not keys:
            return 0
        dead: list[str] = []
        updates: list[dict] = []
        drop: list[dict] = []
        touched_aliases: set[str] = set()
        for record in tx.run(_ENTITY_MENTIONS, keys=keys):
            key, kb_id = record["key"], record["kb_id"]
            old_norms = set(record["old_norms"] or [])
            names: list[str] = []
            for name_list in record["name_lists"]:
                for name in name_list or []:
                    if name not in names:
                        names.append(name)
            if not names:
                dead.append(key)
                drop.extend({"alias_key": alias_key(kb_id, n), "entity_key": key} for n in old_norms)
                touched_aliases.update(alias_key(kb_id, n) for n in old_norms)
                continue
            name = record["name"] if record["name"] in names else names[0]
            norms: list[str] = []
            for n in names:
                if normalise(n) not in norms:
                    norms.append(normalise(n))
            updates.append({"key": key, "name": name, "name_norm": normalise(name),
                            "aliases": [n for n in names if n != name], "names_norm": norms,
                            "mentions": len(record["name_lists"]),
                            "new_aliases": [{"alias_key": alias_key(kb_id, n), "kb_id": kb_id, "norm": n}
                                            for n in norms if n not in old_norms]})
            gone = old_norms - set(norms)
            drop.extend({"alias_key": alias_key(kb_id, n), "entity_key": key} for n in gone)
            touched_aliases.update(alias_key(kb_id, n) for n in gone)
        if drop:
            tx.run(_DROP_ALIASES, rows=drop).consume()
        if dead:
            tx.run(_DELETE_ENTITIES, keys=dead).consume()
        if updates:
            tx.run(_UPDATE_ENTITIES, rows=updates).consume()
        if touched_aliases:
            tx.run(_DELETE_ORPHAN_ALIASES, keys=sorted(touched_aliases)).consume()
        return len(dead)

    def remove_document(self, document_id: str) -> WriteResult:
        """Remove the document's chunks and whatever only they supported; shared facts stay."""
        def work(tx: ManagedTransaction) -> WriteResult:
            chunks = list(tx.run(_DOCUMENT_CHUNKS, document_id=document_id))
            chunk_keys = [r["key"] for r in chunks]
            entity_keys, fact_keys = self._affected(tx, chunk_keys)
            tx.run(_DELETE_CHUNKS, chunk_keys=chunk_keys).consume()
            removed_facts, changed = self._refresh_facts(tx, fact_keys)
            removed_entities = self._refresh_entities(tx, entity_keys)
            self._refresh_kept(tx, changed)
            _count_change(tx, {r["kb_id"] for r in chunks if r["kb_id"]})
            return WriteResult(chunks=len(chunk_keys), entities=0, relations=0,
                               removed_entities=removed_entities, removed_relations=removed_facts)

        try:
            with self._session() as session:
                return session.execute_write(work)
        finally:
            _WRITES[0] += 1

    def document_ids(self) -> set[str]:
        """Every document the graph holds chunks of (for consistency checks: `zhiku doctor`)."""
        return {row["id"] for row in self._read("MATCH (c:Chunk) RETURN DISTINCT c.document_id AS id") if row["id"]}

    def remove_kb(self, kb_id: str) -> int:
        """Delete everything of a knowledge base, in bounded transactions. Returns nodes deleted."""
        _WRITES[0] += 1
        total = 0
        with self._session() as session:
            for statement in ("MATCH (n:Fact) WHERE n.kb_id = $kb_id WITH n LIMIT $batch "
                              "DETACH DELETE n RETURN count(*) AS deleted",
                              "MATCH (n:Alias) WHERE n.kb_id = $kb_id WITH n LIMIT $batch "
                              "DETACH DELETE n RETURN count(*) AS deleted",
                              "MATCH (n:Chunk) WHERE n.kb_id = $kb_id WITH n LIMIT $batch "
                              "DETACH DELETE n RETURN count(*) AS deleted",
                              "MATCH (n:Entity) WHERE n.kb_id = $kb_id WITH n LIMIT $batch "
                              "DETACH DELETE n RETURN count(*) AS deleted"):
                while True:
                    record = session.execute_write(
                        lambda tx, s=statement: tx.run(s, kb_id=kb_id, batch=DELETE_BATCH).single())
                    deleted = record["deleted"] if record else 0
                    total += deleted
                    if deleted < DELETE_BATCH:
                        break
            session.execute_write(lambda tx: _count_change(tx, {kb_id}))
        _WRITES[0] += 1
        return total

    def changes(self, kb_ids: Sequence[str]) -> dict[str, tuple]:
        """Each knowledge base's change counters (`_CHANGES`: every process that wrote it, and how many writes), one
        small query: unchanged means no write or delete since they were read."""
        found: dict[str, list] = {kb: [] for kb in kb_ids}
        for row in self._read("MATCH (g:GraphMeta) WHERE g.of_kb IN $kb_ids RETURN g.of_kb AS kb, g.key AS key, "
                              "g.seq AS seq", kb_ids=list(kb_ids)):
            found.setdefault(row["kb"], []).append((row["key"], row["seq"]))
        return {kb: tuple(sorted(counters)) for kb, counters in found.items()}

    # --- reads ----------------------------------------------------------------------------------
    def _mention_provenance(self, keys: Sequence[str], document_ids=None) -> dict[str, Provenance]:
        return self._provenance(_MENTION_CHUNKS, keys, document_ids)

    def _fact_provenance(self, keys: Sequence[str], document_ids=None) -> dict[str, Provenance]:
        return self._provenance(_FACT_CHUNKS, keys, document_ids)

    def _provenance(self, match: str, keys: Sequence[str], document_ids=None) -> dict[str, Provenance]:
        """Supporting chunks of nodes `n` (matched by key `k`) reached by one of the fixed MATCH patterns below
        (readable ones). The chunks' two properties are projected before the sort and the grouping, not the chunk
        nodes: the same rows for a fifth less of the graph server's CPU (graph mode's second-hop chunks, session 25)."""
        if not keys:
            return {}
        readable = "" if document_ids is None else "WHERE c.document_id IN $docs"
        rows = self._read(f"""
            UNWIND $keys AS k
            {match}
            {readable}
            WITH k, c.document_id AS d, c.chunk_id AS ch ORDER BY d, ch
            WITH k, collect(ch) AS chunk_ids, collect(d) AS document_ids
            RETURN k AS key, size(chunk_ids) AS total, chunk_ids[..$n] AS chunk_ids, document_ids[..$n] AS document_ids
            """, keys=list(keys), n=self.support_limit, **_docs(document_ids))
        return {r["key"]: _provenance(r) for r in rows}

    def _entities(self, rows: list[dict], document_ids=None) -> list[EntityHit]:
        hits = [_entity(r) for r in rows]
        provenance = self._mention_provenance([h.key for h in hits], document_ids)
        for hit in hits:
            hit.provenance = provenance.get(hit.key, Provenance())
        if document_ids is not None:
            self._readable_names(hits, document_ids)
        return hits

    def _readable_names(self, hits: list[EntityHit], document_ids) -> None:
        """Names, aliases and mention counts as the readable chunks state them: an alias only a hidden document
        uses is not shown (an entity's names are exactly the names its mentions used)."""
        rows = self._read("""
            UNWIND $keys AS k
            MATCH (n:Entity {key: k})-[m:MENTIONED_IN]->(c:Chunk)
            WHERE c.document_id IN $docs
            RETURN n.key AS key, collect(m.names) AS name_lists
            """, keys=[h.key for h in hits], docs=list(document_ids))
        readable = {r["key"]: r["name_lists"] for r in rows}
        for hit in hits:
            _apply_readable_names(hit, readable.get(hit.key, []))

    def _relations(self, rows: list[dict], document_ids=None) -> list[RelationHit]:
        hits = [_relation(r) for r in rows]
        provenance = self._fact_provenance(sorted({h.key for h in hits}), document_ids)
        for hit in hits:
            hit.provenance = provenance.get(hit.key, Provenance())
            if document_ids is not None:  # supported as far as the readable chunks go
                hit.support = hit.provenance.total
        return hits

    def find_entities(self, kb_ids: Sequence[str], names: Sequence[str], limit: int = 20,
                      document_ids: Sequence[str] | None = None) -> list[EntityHit]:
        """Entities whose name or an alias equals one of `names` (after normalisation)."""
        kb_ids, limit = _kbs(kb_ids), _bounded(limit, MAX_LIMIT, "limit")
        norms = {normalise(n) for n in names if isinstance(n, str)}
        keys = sorted({alias_key(kb, n) for kb in kb_ids for n in norms if n and len(n) <= MAX_NAME_CHARS})
        if not keys:
            return []
        rows = self._read(f"""
            UNWIND $keys AS k
            MATCH (:Alias {{key: k}})-[:ALIAS_OF]->(e:Entity)
            WHERE e.kb_id IN $kb_ids{_visible_entity("e", document_ids)}
            WITH DISTINCT e
            ORDER BY e.mentions DESC, e.key LIMIT $limit
            {_mention_chunks(document_ids)}
            RETURN {_ENTITY_FIELDS}, {_PROVENANCE_FIELDS}{_READABLE_NAMES_FIELD if document_ids is not None else ""}
            """, keys=keys, kb_ids=kb_ids, limit=limit, n=self.support_limit, **_docs(document_ids))
        rows.sort(key=lambda r: (-(r["mentions"] or 0), r["key"]))
        hits = self._entities_with_provenance(rows, document_ids)
        if document_ids is None:
            return hits
        return [h for h in hits if norms & {normalise(n) for n in (h.name, *h.aliases)}]

    def search_entities(self, kb_ids: Sequence[str], text: str, limit: int = 20,
                        document_ids: Sequence[str] | None = None) -> list[EntityHit]:
        """Substring match on names and aliases; prefix matches first, then by mentions.

        Scans the knowledge bases' entities (no index serves substring search in both servers);
        bounded by `limit` in what it returns."""
        kb_ids, limit = _kbs(kb_ids), _bounded(limit, MAX_LIMIT, "limit")
        query = normalise(text) if isinstance(text, str) else ""
        if not query or len(query) > MAX_NAME_CHARS:
            return []
        rows = self._read(f"""
            MATCH (e:Entity)
            WHERE e.kb_id IN $kb_ids AND any(n IN e.names_norm WHERE n CONTAINS $q){_visible_entity("e", document_ids)}
            WITH e, CASE WHEN e.name_norm = $q THEN 0
                         WHEN any(n IN e.names_norm WHERE n STARTS WITH $q) THEN 1 ELSE 2 END AS rank
            RETURN {_ENTITY_FIELDS}
            ORDER BY rank, e.mentions DESC, size(e.name), e.key LIMIT $limit
            """, kb_ids=kb_ids, q=query, limit=limit, **_docs(document_ids))
        hits = self._entities(rows, document_ids)
        if document_ids is None:
            return hits
        # matched through an alias only hidden documents use: not found, as far as this caller can tell
        return [h for h in hits if any(query in normalise(n) for n in (h.name, *h.aliases))]

    def entity_names(self, kb_id: str) -> list[dict]:
        """Every entity of the knowledge base with its normalised names, mentions and name length, and its name,
        aliases and type as stored: what the linker's name index (graph/entity_names.py) searches and returns instead
        of asking the server."""
        return self._read("""
            MATCH (e:Entity) WHERE e.kb_id = $kb_id
            RETURN e.key AS key, e.name_norm AS name_norm, e.names_norm AS names_norm, e.mentions AS mentions,
                   size(e.name) AS name_size, e.name AS name, e.aliases AS aliases, e.type AS type
            """, kb_id=kb_id)

    def entity_names_signature(self, kb_id: str) -> tuple:
        """How many entities the knowledge base has, their mentions and names, in one row: a re-read of
        `entity_names` is skipped when this has not changed (the full read cost the server seconds at 10k chunks
        under load, once a minute per knowledge base searched)."""
        rows = self._read("""
            MATCH (e:Entity) WHERE e.kb_id = $kb_id
            RETURN count(e) AS entities, sum(coalesce(e.mentions, 0)) AS mentions,
                   sum(size(coalesce(e.names_norm, []))) AS names
            """, kb_id=kb_id)
        row = rows[0] if rows else {}
        return (row.get("entities") or 0, row.get("mentions") or 0, row.get("names") or 0)

    def get_entities(self, kb_ids: Sequence[str], keys: Sequence[str],
                     document_ids: Sequence[str] | None = None) -> list[EntityHit]:
        """The entities with their provenance, read in one query (graph mode reads entities this way three times
        a search: a round trip for the provenance was as long as the read)."""
        kb_ids = _kbs(kb_ids)
        rows = self._read(f"""
            UNWIND $keys AS k
            MATCH (e:Entity {{key: k}}) WHERE e.kb_id IN $kb_ids{_visible_entity("e", document_ids)}
            {_mention_chunks(document_ids)}
            RETURN {_ENTITY_FIELDS}, {_PROVENANCE_FIELDS}{_READABLE_NAMES_FIELD if document_ids is not None else ""}
            """, keys=list(keys)[:MAX_LIMIT], kb_ids=kb_ids, n=self.support_limit, **_docs(document_ids))
        return self._entities_with_provenance(rows, document_ids)

    def lookup_entities(self, kb_ids: Sequence[str], names: Sequence[str], keys: Sequence[str], limit: int = 20,
                        document_ids: Sequence[str] | None = None) -> tuple[list[EntityHit], list[EntityHit]]:
        """`find_entities(kb_ids, names, limit, document_ids)` and `get_entities(kb_ids, keys, document_ids)` in one
        query, without the entities' provenance (the entity linker's exact lookup and its fuzzy matches' fetch: one
        round trip instead of two; collecting every mention chunk of every candidate was most of their time)."""
        kb_ids, limit = _kbs(kb_ids), _bounded(limit, MAX_LIMIT, "limit")
        norms = {normalise(n) for n in names if isinstance(n, str)}
        alias_keys = sorted({alias_key(kb, n) for kb in kb_ids for n in norms if n and len(n) <= MAX_NAME_CHARS})
        keys = list(dict.fromkeys(keys))[:MAX_LIMIT]
        if not alias_keys and not keys:
            return [], []
        visible = _visible_entity("e", document_ids)
        rows = self._read(f"""
            CALL {{
              UNWIND $alias_keys AS k
              MATCH (:Alias {{key: k}})-[:ALIAS_OF]->(e:Entity)
              WHERE e.kb_id IN $kb_ids{visible}
              WITH DISTINCT e
              ORDER BY e.mentions DESC, e.key LIMIT $limit
              RETURN e, true AS named
              UNION ALL
              UNWIND $keys AS k
              MATCH (e:Entity {{key: k}}) WHERE e.kb_id IN $kb_ids{visible}
              RETURN e, false AS named
            }}
            {_readable_mentions(document_ids)}
            RETURN {_ENTITY_FIELDS}, named{_READABLE_NAMES_FIELD if document_ids is not None else ""}
            """, alias_keys=alias_keys, keys=keys, kb_ids=kb_ids, limit=limit, **_docs(document_ids))
        named_rows = sorted((r for r in rows if r["named"]), key=lambda r: (-(r["mentions"] or 0), r["key"]))
        named = self._entities_named(named_rows, document_ids)
        if document_ids is not None:
            named = [h for h in named if norms & {normalise(n) for n in (h.name, *h.aliases)}]
        keyed = self._entities_named(list({r["key"]: r for r in rows if not r["named"]}.values()), document_ids)
        return named, keyed

    @staticmethod
    def _entities_named(rows: list[dict], document_ids=None) -> list[EntityHit]:
        """Hits without provenance; with restricted access, named as their readable mentions name them."""
        hits = [_entity(row) for row in rows]
        if document_ids is not None:
            for hit, row in zip(hits, rows):
                _apply_readable_names(hit, row.get("name_lists") or [])
        return hits

    def _entities_with_provenance(self, rows: list[dict], document_ids=None) -> list[EntityHit]:
        """Hits of rows that carry their mention provenance (`_mention_chunks`) and, when access is restricted,
        the names their readable mentions use (`_READABLE_NAMES_FIELD`)."""
        hits = []
        for row in rows:
            hit = _entity(row)
            hit.provenance = _provenance(row)
            if document_ids is not None:
                _apply_readable_names(hit, row.get("name_lists") or [])
            hits.append(hit)
        return hits

    def entity_detail(self, kb_ids: Sequence[str], key: str, limit: int = 50,
                      document_ids: Sequence[str] | None = None) -> EntityDetail | None:
        """The entity, its mention chunks and its `limit` best-supported relations with neighbours."""
        limit = _bounded(limit, MAX_LIMIT, "limit")
        found = self.get_entities(kb_ids, [key], document_ids)
        if not found:
            return None
        rows = self._read(f"""
            MATCH (e:Entity {{key: $key}})
            CALL {{
              WITH e
              MATCH (e)-[r:RELATES]-(m:Entity)
              WHERE r.kb_id = e.kb_id{_visible_fact("r", document_ids)}
              RETURN r, m ORDER BY r.support DESC, r.key LIMIT $limit
            }}
            RETURN {_RELATION_FIELDS}, m.key AS neighbour
            """, key=key, limit=limit, **_docs(document_ids))
        relations = self._relations(rows, document_ids)
        neighbour_keys = list(dict.fromkeys(r["neighbour"] for r in rows))
        neighbours = {h.key: h for h in self.get_entities(kb_ids, neighbour_keys, document_ids)}
        return EntityDetail(entity=found[0], relations=relations,
                            neighbours=[neighbours[k] for k in neighbour_keys if k in neighbours])

    def expand(self, kb_ids: Sequence[str], seed_keys: Sequence[str], max_hops: int = 2,
               fan_out_cap: int = 20, limit: int = 100,
               document_ids: Sequence[str] | None = None, seeds_checked: bool = False,
               later_cap: int | None = None) -> GraphResult:
        """Breadth-first paths from the seeds, at most `fan_out_cap` edges per entity and hop (`later_cap` on the
        hops after the first; the best-supported ones) and at most `limit` entities reached (`walk`), with every reached entity read
        with its provenance and (for a caller with restricted access) the names its readable mentions use.
        `seeds_checked`: the caller has just read the seeds from these knowledge bases with the same access (the
        entity linker), so they are not read again."""
        kb_ids = _kbs(kb_ids)
        limit = _bounded(limit, MAX_LIMIT, "limit")
        seeds = list(dict.fromkeys(seed_keys))[:limit]
        if not seeds_checked:
            seeds = [e.key for e in self.get_entities(kb_ids, seeds, document_ids)]
        walked = self.walk(kb_ids, seeds, max_hops, fan_out_cap, limit, document_ids, later_cap)
        reached = list(dict.fromkeys(seeds + [p.entity_keys[-1] for p in walked.paths]))
        entities = {h.key: h for h in self.get_entities(kb_ids, reached, document_ids)}
        return GraphResult(paths=walked.paths, entities=entities, relations=walked.relations)

    def walk(self, kb_ids: Sequence[str], seed_keys: Sequence[str], max_hops: int = 2, fan_out_cap: int = 20,
             limit: int = 100, document_ids: Sequence[str] | None = None,
             later_cap: int | None = None) -> GraphResult:
        """What graph expansion in retrieval needs, in one query for up to two hops (one more per further hop, one
        for the chunks of the second hop's relations kept):
        breadth-first paths from the seeds (taken as given: seeds not in these knowledge bases reach nothing), at
        most `fan_out_cap` edges per entity and hop (the best supported, then by key) and at most `limit` entities
        reached; the relations among the reached entities with their (readable) supporting chunks; the entities
        reached in one hop (the bridges a second hop goes through) with the names and aliases stored on them, without
        their mention provenance (`expand` reads every entity reached, with it).
        The server's work is bounded by seeds × fan_out_cap² edges and their provenance."""
        kb_ids = _kbs(kb_ids)
        max_hops = _bounded(max_hops, MAX_HOPS, "max_hops")
        fan_out_cap = _bounded(fan_out_cap, MAX_FAN_OUT, "fan_out_cap")
        limit = _bounded(limit, MAX_LIMIT, "limit")
        seeds = list(dict.fromkeys(seed_keys))[:limit]
        paths: dict[str, GraphPath] = {k: GraphPath([k], []) for k in seeds}
        relation_rows: dict[str, dict] = {}
        names: dict[str, tuple] = {}  # entity key → (name, aliases, type, mentions, kb_id)
        later_cap = fan_out_cap if later_cap is None else min(_bounded(later_cap, MAX_FAN_OUT, "later_cap"), fan_out_cap)
        params = dict(kb_ids=kb_ids, cap=fan_out_cap, cap2=later_cap, n=self.support_limit, inline=KEPT_CHUNK_SUPPORT,
                      **_docs(document_ids))

        def reach(edges: list[dict]) -> list[str]:
            """Adds the edges' new targets to the paths, in order, up to the limit; returns them."""
            added = []
            for edge in edges:
                relation_rows.setdefault(edge["rkey"], edge)
                if "target_names" in edge:
                    names.setdefault(edge["target"], edge["target_names"])
                target = edge["target"]
                if target in paths or len(paths) >= limit:
                    continue
                parent = paths[edge["source"]]
                paths[target] = GraphPath(parent.entity_keys + [target], parent.relation_keys + [edge["rkey"]])
                added.append(target)
            return added

        # unrestricted, within the kept lists' length (the second hop skips the relation it came by) and on a graph
        # whose entities all have them: each entity's best relations read from its node
        from_nodes = (document_ids is None and fan_out_cap <= KEPT_RELATIONS and later_cap < KEPT_RELATIONS
                      and self.support_limit <= SUPPORT_KEPT and self._kept_ready())
        frontier, hops_done = list(seeds), 0
        if frontier and max_hops >= 2:
            if from_nodes:
                rows = _kept_rows(self._read(_kept_walk(True), keys=frontier, **params))
            else:
                rows = self._read(_two_hops(document_ids), keys=frontier, **params)
            first = [_edge(r) for r in rows]
            frontier = reach(first)
            # the second hop from the first hop's new entities, in the order they were reached (as a hop at a time);
            # an entity's second-hop edges are those of the first row that reached it, unpacked only if it is new
            row_of_target: dict[str, dict] = {}
            for row in rows:
                row_of_target.setdefault(row["target"], row)
            if frontier and len(paths) < limit:  # as a hop at a time: no second hop once the limit is reached
                frontier = reach([e for key in frontier if key in row_of_target for e in _unpack(row_of_target[key])])
            hops_done = 2
        while frontier and hops_done < max_hops and len(paths) < limit:
            if from_nodes:
                rows = _kept_rows(self._read(_kept_walk(False), keys=frontier, **(params | {"cap": later_cap})))
            else:
                rows = self._read(_one_hop(document_ids), keys=frontier, **(params | {"cap": later_cap}))
            frontier = reach([_edge(r) for r in rows])
            hops_done += 1
        kept = [row for row in relation_rows.values() if row["subject_key"] in paths and row["object_key"] in paths]
        unread = self._fact_provenance(sorted({r["rkey"] for r in kept if "chunk_ids" not in r}), document_ids)
        relations = {}
        for row in kept:
            hit = _relation(row)
            if "chunk_ids" in row:
                hit.provenance = Provenance(list(row["chunk_ids"]), list(dict.fromkeys(row["document_ids"])),
                                            row["total"])
            else:
                hit.provenance = unread.get(hit.key, Provenance())
            if document_ids is not None:
                hit.support = hit.provenance.total
            relations[hit.key] = hit
        entities = {}
        for key in paths:
            if key in names:
                name, aliases, type_, mentions, kb_id = names[key]
                entities[key] = EntityHit(key=key, kb_id=kb_id, name=name, type=type_, aliases=list(aliases or []),
                                          mentions=mentions or 0)
        return GraphResult(paths=[p for k, p in paths.items() if k not in seeds or len(p.entity_keys) > 1],
                           entities=entities, relations=relations)

    def path_between(self, kb_ids: Sequence[str], key_a: str, key_b: str, max_hops: int = 3,
                     document_ids: Sequence[str] | None = None) -> GraphResult:
        """A shortest undirected RELATES path between two entities of the given knowledge bases.

        With `document_ids`, the path is found by the breadth-first walk of `expand`, which follows only
        relations those documents support (a shortestPath cannot be told to skip unreadable edges in the
        Cypher both servers accept); its fan-out cap may miss a path through a hub, never show a hidden one."""
        kb_ids = _kbs(kb_ids)
        hops = _bounded(max_hops, MAX_HOPS, "max_hops")  # a validated int: the only formatted value
        if key_a == key_b:
            return GraphResult(paths=[], entities={}, relations={})
        if document_ids is not None:
            walked = self.expand(kb_ids, [key_a], hops, MAX_FAN_OUT, MAX_LIMIT, document_ids)
            found = next((p for p in walked.paths if p.entity_keys[-1] == key_b), None)
            if found is None:
                return GraphResult(paths=[], entities={}, relations={})
            return GraphResult(paths=[found],
                               entities={k: walked.entities[k] for k in found.entity_keys if k in walked.entities},
                               relations={k: walked.relations[k] for k in found.relation_keys
                                          if k in walked.relations})
        rows = self._read(f"""
            MATCH (a:Entity {{key: $a}}), (b:Entity {{key: $b}})
            WHERE a.kb_id IN $kb_ids AND b.kb_id IN $kb_ids
            MATCH p = shortestPath((a)-[:RELATES*..{int(hops)}]-(b))
            RETURN [n IN nodes(p) | n.key] AS entity_keys, [r IN relationships(p) | r.key] AS relation_keys
            LIMIT 1
            """, a=key_a, b=key_b, kb_ids=kb_ids)
        if not rows:
            return GraphResult(paths=[], entities={}, relations={})
        path = GraphPath(list(rows[0]["entity_keys"]), list(rows[0]["relation_keys"]))
        relation_rows = self._read(f"""
            UNWIND $keys AS k
            MATCH ()-[r:RELATES {{key: k}}]->()
            RETURN {_RELATION_FIELDS}
            """, keys=path.relation_keys)
        return GraphResult(paths=[path],
                           entities={h.key: h for h in self.get_entities(kb_ids, path.entity_keys)},
                           relations={h.key: h for h in self._relations(relation_rows)})

    def stats(self, kb_id: str) -> GraphStats:
        counts = {}
        for label in ("Entity", "Fact", "Chunk"):
            # labels cannot be parameters; these come from the fixed tuple above
            counts[label] = self._read(f"MATCH (n:{label}) WHERE n.kb_id = $kb_id RETURN count(n) AS n",
                                       kb_id=kb_id)[0]["n"]
        documents = self._read("MATCH (c:Chunk) WHERE c.kb_id = $kb_id "
                               "RETURN count(DISTINCT c.document_id) AS n", kb_id=kb_id)[0]["n"]
        return GraphStats(entities=counts["Entity"], relations=counts["Fact"], chunks=counts["Chunk"],
                          documents=documents)


# --- helpers --------------------------------------------------------------------------------------
def _kept_chunks_of(tx: ManagedTransaction, rows: list[dict]) -> dict[str, tuple[list, list]]:
    """The kept chunks and documents of the facts of `rows`' kept relations (`rkey`, `support` lists) supported by at
    most KEPT_CHUNK_SUPPORT chunks: the only ones an entity keeps the chunks of."""
    keys = sorted({k for row in rows for k, n in zip(row["rkey"] or [], row["support"] or [])
                   if n <= KEPT_CHUNK_SUPPORT})
    if not keys:
        return {}
    return {r["key"]: (list(r["chunks"] or []), list(r["documents"] or []))
            for r in tx.run(_FACT_CHUNKS_KEPT, keys=keys)}


def _reread_kept(tx: ManagedTransaction, keys: list[str]) -> None:
    """The entities' kept lists read again from their RELATES edges and their facts' chunks (`_KEPT_RELATIONS`), and
    stored: what a write does for an entity whose stored lists cannot tell (`_kept_update`), and the migration."""
    rows = [dict(r) for r in tx.run(_KEPT_RELATIONS, keys=keys, kept=KEPT_RELATIONS)]
    chunks = _kept_chunks_of(tx, rows)
    sets = [kept_lists(row["key"], [(n, k, t, x, f, *chunks.get(k, (None, None))) for k, t, x, f, n in zip(
        row["rkey"], row["rtype"], row["target"], row["forward"], row["support"])]) for row in rows]
    if sets:
        tx.run(_KEPT_SET, rows=sets).consume()


def _set_kept_chunks(tx: ManagedTransaction, keys: list[str]) -> None:
    """Migration (`ensure_kept_chunks`): the entities' kept chunk lists from their kept relations (left as they are)."""
    rows = [dict(r) for r in tx.run(_KEPT_OF, keys=keys) if r["rkey"] is not None]
    chunks = _kept_chunks_of(tx, rows)
    sets = [{"key": row["key"]} | chunk_lists((n, *chunks.get(k, (None, None)))
                                              for k, n in zip(row["rkey"], row["support"])) for row in rows]
    if sets:
        tx.run(_KEPT_CHUNKS_SET, rows=sets).consume()


def _count_change(tx: ManagedTransaction, kb_ids: set[str]) -> None:
    if kb_ids:
        tx.run(_CHANGES, kb_ids=sorted(kb_ids), writer=_WRITER).consume()


def _kbs(kb_ids: Sequence[str]) -> list[str]:
    if isinstance(kb_ids, str):
        kb_ids = [kb_ids]
    kbs = [k for k in dict.fromkeys(kb_ids) if isinstance(k, str) and k]
    if not kbs:
        raise ValueError("at least one knowledge base id is required")
    return kbs


REHEARSAL_KB = "zhiku-write-rehearsal"


def rehearsal_writes(documents: int = 32, names: int = 40) -> list[list[DocumentFacts]]:
    """Two writes shaped like a busy ingestion's (GraphStore.rehearse_writes): `documents` one-chunk documents each, four
    entities (one with an alias) and three relations a chunk, names drawn from a pool of `names` so entities recur
    across documents; the second write writes half of the first's documents again (a new version: the replace and
    delete paths) and as many new ones. Deterministic; knowledge base REHEARSAL_KB, which nothing else uses."""
    def document(number: int, version: int) -> DocumentFacts:
        picked = [f"演练实体{(number * 7 + step * 11) % names}" for step in range(4)]
        entities = [EntityInput(name, "机构" if step % 2 else "产品", aliases=(f"{name}简称",) if step == 0 else ())
                    for step, name in enumerate(picked)]
        relations = [RelationInput(picked[step], "关联", picked[step + 1]) for step in range(3)]
        return DocumentFacts(REHEARSAL_KB, f"rehearsal-{number}", version, [ChunkFacts("0", entities, relations)])
    first = [document(n, 1) for n in range(documents)]
    second = [document(n, 2) for n in range(documents // 2, documents + documents // 2)]
    return [first, second]


def _bounded(value: int, maximum: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return min(value, maximum)


def _provenance(row: dict) -> Provenance:
    return Provenance(chunk_ids=list(row["chunk_ids"]),
                      document_ids=list(dict.fromkeys(row["document_ids"])), total=row["total"])


def _entity(row: dict) -> EntityHit:
    return EntityHit(key=row["key"], kb_id=row["kb_id"], name=row["name"], type=row["type"],
                     aliases=list(row["aliases"] or []), mentions=row["mentions"] or 0)


def _relation(row: dict) -> RelationHit:
    return RelationHit(key=row["rkey"], kb_id=row["rkb"], type=row["rtype"], subject_key=row["subject_key"],
                       object_key=row["object_key"], support=row["support"] or 0)
