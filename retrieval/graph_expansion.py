"""Graph expansion: entities named in the query → paths in the knowledge graph → the chunks that support them.

A multi-hop question names entity A; the passage that answers it is about B, which only another passage
links to A ("X's guarantor is B"). Hybrid retrieval finds the A passages; the graph finds B and brings
the passages that state B's facts into the candidates.

Seeds: the linker's entities, minus mentions contained in a longer linked mention ("Benton" in "Benton
Fraser") and minus generic entities (mentioned in more than `max_seed_mentions` chunks, such as "People" or
"Television"), which would flood the expansion; longer mentions first.

Scoring: a linked seed entity starts with its link score (exact 1.0, alias, fuzzy lower). Each hop along
a path multiplies by `hop_decay`, and by `cooccurrence_weight` when the relation is only co-occurrence in
a sentence (typed relations such as guarantees or legal_representative count fully). A chunk's graph
score is the best score of a relation it supports, plus `support_bonus` for every further supported
relation on the paths (capped). The seeds' own mention chunks are left to hybrid retrieval.

Cost, per search (issue #14 point 5): for a caller who may read the whole knowledge bases, one query to the graph
server — linking is answered by the linker's in-process name index (exact and alias names, fuzzy matches, the
entities' names and mention counts; graph/entity_names.py says how it stays fresh), and the walk reads both hops,
the names reached and every relation's chunks (kept on the facts) in one statement (`GraphStore.walk`); a question
that names no entity of the graph asks the server nothing. The reached entities' provenance is read only if the
caller shows the subgraph (`GraphEvidence.described`). A caller restricted to some documents links through the
graph (one query: its access decides what it sees) and walks reading the edges, with one more query for the
entities' readable names. All this
runs beside the first stage and the second stage (`HybridRetriever._retrieve_with_graph`); the search waits for it at
most `timeout_seconds` after its first stage, then goes on without the graph.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from zhiku.graph.entity_linker import EntityLinker, LinkedEntity
from zhiku.graph.extraction.chunk_extractor import COOCCURRENCE
from zhiku.graph.graph_store import GraphPath, GraphResult, GraphStore


@dataclass(frozen=True, slots=True)
class GraphRetrievalConfig:
    max_linked: int = 5  # query entities used as seeds
    max_seed_mentions: int = 40  # an entity named in more chunks is too generic to expand from
    max_hops: int = 2
    fan_out_cap: int = 20  # edges followed per entity and hop, best supported first
    # edges followed per entity on the hops after the first (None: fan_out_cap); the server cuts them (a LIMIT per
    # entity inside the walk's query), so a wide first hop does not make the server sort and send cap² edges
    later_fan_out_cap: int | None = None
    entity_limit: int = 60  # entities reached in all
    chunk_limit: int = 30  # graph chunks scored against the query
    hop_decay: float = 0.7
    cooccurrence_weight: float = 0.6
    support_bonus: float = 0.05
    # Where graph chunks enter the ranking: the hybrid ranking's first `protect_top` stay as they are (the
    # direct evidence is usually there), then up to `slots` graph chunks, then the rest.
    protect_top: int = 5
    slots: int = 5
    # A graph chunk only takes the place of a hybrid hit (pushing it out of the first protect_top + slots)
    # when its dense similarity to the query is at most this much lower than that hit's.
    max_similarity_gap: float = 0.02
    # Which graph chunks may use that gap. "all": every one (the placement measured in docs/benchmarks.md).
    # "novel": only a chunk that adds what the first stage lacks — it lies on a path joining two of the
    # question's linked entities, or it states a fact of a linked entity that none of the first-stage top hits
    # names; any other graph chunk enters the top ten only if it is at least as similar to the query as the
    # hit it pushes out (`plain_gap`, default 0), or never (`plain_gap` None).
    # "evidence": like "novel", and a chunk also adds evidence when it completes a second hop the first stage
    # began — it states a fact of an entity (not named in the question) that the walk reached from a linked
    # entity and that a top hit names (the first hop's passage); under either gate, a graph chunk whose passage
    # (parent section) a top hit already shows adds nothing and never enters. The top hits are the ones the caller
    # is shown (its top_k, at most ten): retrieval/graph_gate.py.
    # "hop": like "evidence", but a second hop counts only when the relation that leads to the bridge entity is
    # stated by a top hit itself (the first stage found the first hop's passage), not merely when a top hit names
    # the bridge; a chunk that adds nothing never enters (`plain_gap` is not used). With max_similarity_gap 0, no
    # graph chunk pushes a first-stage hit out of the top ten unless at least as similar to the query.
    # "path": the chunks "hop" admits (they add evidence the shown hits lack); each takes the place of the lowest
    # first-stage hit below the head that it is within the gap of, or else of the lowest one the graph finds
    # unconnected to the question (`graph_gate.unconnected`) — a first-stage hit leaves the ten only for a chunk
    # at least as similar, or when by the graph it adds nothing the question asks about; the others keep their order.
    gate: str = "all"
    plain_gap: float | None = 0.0
    # How long a search waits for the graph (linking and expansion run beside the first stage); past it the search
    # goes on without graph chunks. None: as long as it takes (evaluation, where figures must not depend on load).
    timeout_seconds: float | None = 3.0

    @classmethod
    def from_settings(cls, settings, **overrides) -> "GraphRetrievalConfig":
        """The configured expansion (ZHIKU_GRAPH_*), as the service, the evaluation and the benchmark use it."""
        return cls(**({"max_hops": settings.graph_max_hops, "fan_out_cap": settings.graph_fan_out_cap,
                       "later_fan_out_cap": settings.graph_later_fan_out_cap,
                       "max_similarity_gap": settings.graph_max_similarity_gap, "gate": settings.graph_gate,
                       "timeout_seconds": settings.graph_timeout_ms / 1000} | overrides))


@dataclass(slots=True)
class GraphEvidence:
    linked: list[LinkedEntity] = field(default_factory=list)
    chunk_scores: dict[str, float] = field(default_factory=dict)  # vector-store point id → graph score
    subgraph: GraphResult | None = None
    chunk_entities: dict[str, set[str]] = field(default_factory=dict)  # point id → entities of its relations
    joining: set[str] = field(default_factory=set)  # point ids on a path between two linked entities
    # point id → names (casefolded, with aliases) of the entities not linked in the question that the walk went
    # through before reaching the relation the chunk states (empty for a seed's own relations)
    bridges: dict[str, set[str]] = field(default_factory=dict)
    # point id → the chunks stating the earlier hops of the paths that reach the relation the chunk states (empty
    # for a seed's own relations): the first hop's passages
    earlier: dict[str, set[str]] = field(default_factory=dict)
    # Reads the subgraph's entities with their provenance (what an API caller who asks for the subgraph sees);
    # None: `subgraph` already has them.
    describe: Callable[[GraphResult], GraphResult] | None = field(default=None, repr=False)
    # point id → the names of the question's linked entities whose walk reached the relation the chunk states: what
    # the passage is about through the graph (the guarantor's risk passage names the guarantor, not the borrower the
    # question names; the graph says it is the borrower's guarantor)
    reached_from: dict[str, set[str]] = field(default_factory=dict)
    # point ids stating a relation between entities the walks of two different linked entities reached (read from
    # `subgraph` when first asked, `links_walks`)
    linking: set[str] | None = field(default=None, repr=False)
    neighbours: dict[str, set[str]] | None = field(default=None, repr=False)  # `neighbour_names`, once read

    def links_walks(self, chunk_id: str) -> bool:
        """Does this chunk state a relation on a path between two of the question's linked entities — between what
        one's walk reached and what the other's reached or is directly related to? ("The Representative of the
        Falkland Islands in London": the Pan-African Conference → London, the Falkland Islands — Mount Sulivan.)
        Unlike `joining`, the path may be longer than the walk's hops: the chunk closes the question's two halves."""
        if self.linking is None:
            self.linking = set()
            if self.subgraph is not None:
                seeds = {e.key for e in self.linked}
                touching: dict[str, set[str]] = {}  # entity → the linked entities whose walk reached it or that
                for p in self.subgraph.paths:       # are directly related to it (a linked entity: itself alone)
                    touching.setdefault(p.entity_keys[-1], set()).add(p.entity_keys[0])
                relations = list(self.subgraph.relations.values())
                for relation in relations:
                    for end, other in ((relation.subject_key, relation.object_key),
                                       (relation.object_key, relation.subject_key)):
                        if other in seeds and end not in seeds:
                            touching.setdefault(end, set()).add(other)
                for key in seeds:
                    touching[key] = {key}
                for relation in relations:
                    a, b = touching.get(relation.subject_key, set()), touching.get(relation.object_key, set())
                    if any(x != y for x in a for y in b):
                        self.linking.update(relation.provenance.chunk_ids)
        return chunk_id in self.joining or chunk_id in self.linking

    def neighbour_names(self) -> dict[str, set[str]]:
        """Linked entity → the names (casefolded) of the entities directly related to it and to no other linked
        entity (what each half of the question leads to)."""
        if self.neighbours is not None:
            return self.neighbours
        self.neighbours = {}
        if self.subgraph is None:
            return self.neighbours
        seeds = {e.key for e in self.linked}
        near: dict[str, set[str]] = {}
        for relation in self.subgraph.relations.values():
            for end, other in ((relation.subject_key, relation.object_key), (relation.object_key, relation.subject_key)):
                if other in seeds and end not in seeds:
                    near.setdefault(end, set()).add(other)
        for key, by in near.items():
            entity = self.subgraph.entities.get(key)
            if len(by) == 1 and entity is not None:
                self.neighbours.setdefault(next(iter(by)), set()).update(
                    n.casefold() for n in (entity.name, *entity.aliases) if n and len(n) > 2)
        return self.neighbours

    def described(self) -> GraphResult | None:
        """The subgraph with every entity's mention provenance (read now, once, when the search did not)."""
        if self.subgraph is not None and self.describe is not None:
            self.subgraph, self.describe = self.describe(self.subgraph), None
        return self.subgraph

    def novel(self, chunk_id: str, top_text: str) -> bool:
        """Does this graph chunk add what the first stage's top hits (`top_text`, lower-cased) lack?"""
        if chunk_id in self.joining:
            return True
        entities = self.chunk_entities.get(chunk_id, set())
        return any(e.key in entities and (e.mention or e.name).casefold() not in top_text
                   and e.name.casefold() not in top_text for e in self.linked)

    def completes_hop(self, chunk_id: str, top_text: str, query: str = "") -> bool:
        """Does this graph chunk state a fact of a bridge entity that a top hit names and the question (`query`,
        lower-cased) does not (a second hop)?"""
        return any(len(name) > 1 and name in top_text and name not in query
                   for name in self.bridges.get(chunk_id, ()))

    def continues_top_hit(self, chunk_id: str, top_ids: set[str], top_text: str, query: str = "") -> bool:
        """Does this graph chunk state a fact of a bridge entity (not in the question, `query` lower-cased) that a
        top hit names, reached through a relation a top hit itself states (`top_ids`)? The first stage found the
        first hop; this is the second. Stricter than `completes_hop`, which any top hit naming the bridge satisfies
        (in news, the top hits name many entities)."""
        return bool(self.earlier.get(chunk_id, set()) & top_ids) and self.completes_hop(chunk_id, top_text, query)

    def best_chunks(self, limit: int) -> list[str]:
        return sorted(self.chunk_scores, key=lambda c: (-self.chunk_scores[c], c))[:limit]


class GraphExpander:
    def __init__(self, store: GraphStore, linker: EntityLinker, config: GraphRetrievalConfig | None = None):
        self.store = store
        self.linker = linker
        self.config = config or GraphRetrievalConfig()

    def evidence(self, query: str, kb_ids: Sequence[str],
                 document_ids: Sequence[str] | None = None) -> GraphEvidence:
        """`document_ids`: the documents the caller may read (None: all); linking, seeds and the walk only
        see entities and relations those documents state."""
        c = self.config
        linked = self._seeds(kb_ids, self.linker.link(kb_ids, query, limit=2 * c.max_linked,
                                                      document_ids=document_ids), document_ids)
        if not linked:
            return GraphEvidence()  # the question names no entity of the graph: stay out (the lookup was all)
        keys = [e.key for e in linked]
        if document_ids is None:
            # One query (two hops): the paths, the relations' chunks and the names of the entities reached; the
            # entities' own provenance is read only if the caller shows the subgraph (`GraphEvidence.described`).
            result = self.store.walk(kb_ids, keys, c.max_hops, c.fan_out_cap, c.entity_limit,
                                     later_cap=c.later_fan_out_cap)
            describe = _describer(self.store, kb_ids, keys)
        else:
            # Restricted access: the entities are read again with the names their readable mentions use, so the
            # gate's bridge names never come from a document the caller may not read.
            result = self.store.expand(kb_ids, keys, c.max_hops, c.fan_out_cap, c.entity_limit,
                                       document_ids, seeds_checked=True, later_cap=c.later_fan_out_cap)
            describe = None
        seed_score = {e.key: e.score for e in linked}
        chunk_scores: dict[str, float] = {}
        extra: dict[str, int] = {}
        chunk_entities: dict[str, set[str]] = {}
        joining: set[str] = set()
        bridges: dict[str, set[str]] = {}
        earlier: dict[str, set[str]] = {}
        reached_from: dict[str, set[str]] = {}
        seed_names = {e.key: e.name for e in linked}

        known_names: dict[str, frozenset[str]] = {}

        def names(key: str) -> frozenset[str]:
            """An entity's names, casefolded, once per entity (a bridge lies on many paths; folding its aliases
            again for each was a fifth of the graph thread's own CPU in the profile, docs/profiles/README.md)."""
            found = known_names.get(key)
            if found is None:
                entity = result.entities.get(key)
                found = frozenset() if entity is None else \
                    frozenset(n.casefold() for n in (entity.name, *entity.aliases) if n)
                known_names[key] = found
            return found

        for path in result.paths:
            score = seed_score.get(path.entity_keys[0], 0.5)
            joins = any(key in seed_score for key in path.entity_keys[1:])
            for i, relation_key in enumerate(path.relation_keys):
                relation = result.relations.get(relation_key)
                if relation is None:
                    break
                score *= c.hop_decay * (c.cooccurrence_weight if relation.type == COOCCURRENCE else 1.0)
                via = set().union(*(names(k) for k in path.entity_keys[1:i + 1] if k not in seed_score))
                before = set().union(*(set(result.relations[k].provenance.chunk_ids)
                                       for k in path.relation_keys[:i] if k in result.relations))
                for chunk_id in relation.provenance.chunk_ids:
                    if chunk_id in chunk_scores:
                        extra[chunk_id] = extra.get(chunk_id, 0) + 1
                    chunk_scores[chunk_id] = max(chunk_scores.get(chunk_id, 0.0), score)
                    chunk_entities.setdefault(chunk_id, set()).update(path.entity_keys[i:i + 2])
                    if joins:
                        joining.add(chunk_id)
                    if via:
                        bridges.setdefault(chunk_id, set()).update(via)
                    if before:
                        earlier.setdefault(chunk_id, set()).update(before)
                    if path.entity_keys[0] in seed_names:
                        reached_from.setdefault(chunk_id, set()).add(seed_names[path.entity_keys[0]])
        self._joins(result, seed_score, chunk_scores, extra, chunk_entities, joining)
        for chunk_id, count in extra.items():
            chunk_scores[chunk_id] += c.support_bonus * min(count, 5)
        return GraphEvidence(linked, chunk_scores, result, chunk_entities, joining, bridges, earlier, describe,
                             reached_from)

    def _joins(self, result: GraphResult, seed_score: dict[str, float], chunk_scores: dict[str, float],
               extra: dict[str, int], chunk_entities: dict[str, set[str]], joining: set[str]) -> None:
        """Paths joining two linked entities. The walk is a tree from the seeds (an entity is reached once, seeds
        first), so no tree path ever ends at another seed: a path between two linked entities closes through a
        relation off the tree, between entities reached from different seeds (or a seed itself) — "Dick Humbert
        played for the Philadelphia Eagles" on one seed's path, "the Eagles compete in the NFL" between that path
        and the seed NFL. Such a relation's chunks are scored like a path's, and they and the tree relations leading
        to it join the two (`joining`), when the whole path has at most `max_hops` relations."""
        c = self.config
        reached = {p.entity_keys[-1]: p for p in result.paths} | {k: GraphPath([k], []) for k in seed_score}
        on_tree = {k for p in result.paths for k in p.relation_keys}
        for key, relation in result.relations.items():
            a, b = reached.get(relation.subject_key), reached.get(relation.object_key)
            if key in on_tree or a is None or b is None or a.entity_keys[0] == b.entity_keys[0]:
                continue
            route = [*a.relation_keys, key, *b.relation_keys]
            if len(route) > c.max_hops or any(k not in result.relations for k in route):
                continue
            score = min(seed_score.get(a.entity_keys[0], 0.5), seed_score.get(b.entity_keys[0], 0.5))
            for k in route:
                score *= c.hop_decay * (c.cooccurrence_weight if result.relations[k].type == COOCCURRENCE else 1.0)
            for chunk_id in relation.provenance.chunk_ids:
                if chunk_id in chunk_scores:
                    extra[chunk_id] = extra.get(chunk_id, 0) + 1
                chunk_scores[chunk_id] = max(chunk_scores.get(chunk_id, 0.0), score)
                chunk_entities.setdefault(chunk_id, set()).update((relation.subject_key, relation.object_key))
            joining.update(chunk for k in route for chunk in result.relations[k].provenance.chunk_ids)

    def _seeds(self, kb_ids: Sequence[str], linked: list[LinkedEntity],
               document_ids: Sequence[str] | None = None) -> list[LinkedEntity]:
        if not linked:
            return []
        if all(e.mentions is not None for e in linked):  # the linker read them with the same access
            mentions = {e.key: e.mentions for e in linked}
        else:
            mentions = {e.key: e.mentions for e in self.store.get_entities(kb_ids, [e.key for e in linked],
                                                                            document_ids)}
        by_length = sorted(linked, key=lambda e: (-len(e.mention or e.name), -e.score))
        seeds: list[LinkedEntity] = []
        for entity in by_length:
            words = (entity.mention or entity.name).casefold()
            if mentions.get(entity.key, 0) > self.config.max_seed_mentions:
                continue
            if any(words in (s.mention or s.name).casefold() for s in seeds):
                continue
            seeds.append(entity)
        return seeds[:self.config.max_linked]


def _describer(store: GraphStore, kb_ids: Sequence[str], seeds: list[str]) -> Callable[[GraphResult], GraphResult]:
    def describe(result: GraphResult) -> GraphResult:
        keys = list(dict.fromkeys(seeds + [p.entity_keys[-1] for p in result.paths]))
        entities = {h.key: h for h in store.get_entities(kb_ids, keys)}
        return GraphResult(result.paths, entities, result.relations)
    return describe


def order_graph_chunks(graph_scores: dict[str, float], dense_scores: dict[str, float]) -> list[str]:
    """Graph chunks best first: the mean of min-max-normalised graph score and dense similarity."""
    def normalised(values: dict[str, float]) -> dict[str, float]:
        if not values:
            return {}
        low, high = min(values.values()), max(values.values())
        return {k: (v - low) / (high - low) if high > low else 1.0 for k, v in values.items()}

    graph_n, dense_n = normalised(graph_scores), normalised(dense_scores)
    return sorted(dense_scores, key=lambda k: (-(graph_n.get(k, 0.0) + dense_n[k]) / 2, k))