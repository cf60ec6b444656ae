"""An index of each knowledge base's entity names: the entity linker's lookups, answered in this process.

`GraphStore.search_entities` finds names containing a text by scanning every entity of the knowledge bases in the
graph server (neither Neo4j nor ArcadeDB indexes substrings in the Cypher both accept), and the linker made up to
six such lookups per query, each followed by a provenance query: 59% of graph mode's time at 10k chunks in the
profile (docs/profiles/README.md). Here a knowledge base's names are read once into one string per
knowledge base; a lookup is `str.find` over it (C speed) and a sort of the matches in the server's own order
(exact name, then prefix, then by mentions, name length and key). The index also keeps each entity's name, aliases,
type and mentions as stored, so for a caller who may read the whole knowledge base it answers the exact and alias
lookup (what the graph's Alias index answers) and the fuzzy matches' fetch itself: linking costs no round trip
(`EntityNameIndex.lookup`, `Lookups.fetch`; issue #14 point 5). A caller restricted to some documents is answered by
the graph (`GraphStore.lookup_entities`, `get_entities`), which applies its access inside the query and brings the
names its readable mentions use. Access to knowledge bases holds either way: a knowledge base's names are its own
table, and only the tables of the knowledge bases asked for are searched.

Freshness: a write through any GraphStore of this process makes the next lookups of that knowledge base go to the
graph server while the names are read again in the background. Every write and delete, in any process, also counts
itself on its process's change counter of the knowledge base, in its transaction (`GraphStore.changes`); while
lookups happen the index polls the counters of the knowledge bases it holds once every `poll_seconds` (one small
query, in the background), and a knowledge base whose counters moved is answered by the graph server until its
names are read again. So another process's write (a broker worker's, an API replica's delete) is seen by the lookups
that start at most about `poll_seconds` after its commit. A graph written by a version without counters is also read
again when its names are older than `max_age` seconds and its one-row signature changed. While a knowledge base's
names are being read the first time, its lookups use the server.
"""
from __future__ import annotations

import threading
import time
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from zhiku.graph import graph_store
from zhiku.graph.graph_store import MAX_NAME_CHARS, EntityHit, GraphStore, normalise

_SEPARATOR = "\x00"  # never in a normalised name
# How often the change counters of the knowledge bases read are polled (one small query, in the background, only while
# lookups happen): another process's write is seen by lookups that start this long after it at most.
POLL_SECONDS = 1.0


@dataclass(slots=True)
class _Names:
    """One knowledge base's entities, packed (about 100 bytes an entity, measured at 10k chunks: the lists of
    strings this replaced took 466): `blob` holds every entity's normalised names, each followed by the separator,
    entity after entity; name j is `blob[starts[j]:starts[j + 1] - 1]` and belongs to entity `owner[j]`, whose
    names are `first[i]` to `first[i + 1] - 1`. Keys are packed the same way."""
    blob: str
    starts: array
    owner: array
    first: array
    keys: str
    key_starts: array
    norm_at: array  # which of the entity's names is its name_norm (-1: none of them, see odd_norms)
    odd_norms: dict[int, str]
    mentions: array
    name_size: array
    loaded_at: float
    generation: int
    hashes: array = None  # hash() of every name, sorted: "is this text some entity's name?" without a set of strings
    hash_owner: array = None  # the entity of each of `hashes` (-1: an odd name_norm, not one of the entity's names)
    # type, name and aliases as stored (not normalised) of every entity, packed like the names: what the linker reads
    # of an entity, so exact and fuzzy lookups are answered here without asking the graph server
    info: str = ""
    info_starts: array = None
    odd_info: dict = None  # entity → its stored fields, when one of them holds the separator
    kb_id: str = ""
    signature: tuple = ()  # GraphStore.entity_names_signature when read: unchanged means nothing to read again
    changes: tuple = ()  # the knowledge base's change counters (GraphStore.changes) read before the names
    stale: bool = False  # the counters moved since (another process wrote): not used until read again

    @classmethod
    def build(cls, rows: list[dict], generation: int, kb_id: str = "") -> "_Names":
        names: list[str] = []
        info_parts: list[str] = []
        info_starts, info_position = array("l"), 0
        pairs: list[tuple[int, int]] = []
        starts, owner, first = array("l"), array("l"), array("l")
        key_parts: list[str] = []
        key_starts, norm_at, mentions, name_size = array("l"), array("l"), array("l"), array("l")
        odd_norms: dict[int, str] = {}
        odd_info: dict[int, list[str]] = {}
        position = key_position = 0
        for entity, row in enumerate(rows):
            key = row["key"]
            key_starts.append(key_position)
            key_parts.append(key)
            key_position += len(key) + 1
            own = [n for n in (row.get("names_norm") or []) if isinstance(n, str) and _SEPARATOR not in n]
            name_norm = row.get("name_norm") or ""
            norm_at.append(own.index(name_norm) if name_norm in own else -1)
            if name_norm not in own:
                odd_norms[entity] = name_norm
            mentions.append(int(row.get("mentions") or 0))
            name_size.append(int(row.get("name_size") or 0))
            first.append(len(starts))
            for name in own:
                starts.append(position)
                owner.append(entity)
                names.append(name)
                position += len(name) + 1
                pairs.append((hash(name), entity))
            if name_norm not in own and name_norm:
                pairs.append((hash(name_norm), -1))
            fields = [row.get("type") or "", row.get("name") or "",
                      *[a for a in (row.get("aliases") or []) if isinstance(a, str)]]
            # an entity whose stored names hold the separator is kept whole, never cut at it
            record = _SEPARATOR.join(fields) if not any(_SEPARATOR in f for f in fields) else ""
            info_starts.append(info_position)
            info_parts.append(record)
            info_position += len(record) + 1
            if not record:
                odd_info[entity] = fields
        starts.append(position)
        first.append(len(starts) - 1)
        key_starts.append(key_position)
        info_starts.append(info_position)
        blob = "".join(name + _SEPARATOR for name in names)
        keys = "".join(key + _SEPARATOR for key in key_parts)
        pairs = sorted(set(pairs))
        return cls(blob, starts, owner, first, keys, key_starts, norm_at, odd_norms, mentions, name_size,
                   time.monotonic(), generation, array("q", [h for h, _ in pairs]), array("l", [e for _, e in pairs]),
                   "\x01".join(info_parts) + "\x01", info_starts, odd_info, kb_id)

    def names(self, text: str) -> bool:
        """Is `text` (normalised) perhaps the name or an alias of an entity? (A hash collision may say yes.)"""
        h = hash(text)
        i = bisect_left(self.hashes, h)
        return i < len(self.hashes) and self.hashes[i] == h

    def named(self, text: str) -> list[int]:
        """The entities one of whose names (normalised) is `text`: what the graph's Alias index answers."""
        h = hash(text)
        i = bisect_left(self.hashes, h)
        found = []
        while i < len(self.hashes) and self.hashes[i] == h:
            entity = self.hash_owner[i]
            if entity >= 0 and any(self._name(j) == text for j in range(self.first[entity], self.first[entity + 1])):
                found.append(entity)
            i += 1
        return found

    def hit(self, i: int) -> EntityHit:
        """Entity `i` as the graph server returns it to the linker (`GraphStore.lookup_entities`, without provenance)."""
        fields = self.odd_info.get(i)
        if fields is None:
            fields = self.info[self.info_starts[i]:self.info_starts[i + 1] - 1].split(_SEPARATOR)
        return EntityHit(key=self._key(i), kb_id=self.kb_id, name=fields[1], type=fields[0], aliases=list(fields[2:]),
                         mentions=self.mentions[i])

    def _name(self, j: int) -> str:
        return self.blob[self.starts[j]:self.starts[j + 1] - 1]

    def _key(self, i: int) -> str:
        return self.keys[self.key_starts[i]:self.key_starts[i + 1] - 1]

    def matches(self, query: str) -> list[tuple[tuple, str, int]]:
        """(sort key, entity key, entity) of every entity a name of which contains `query`, the sort key the server's
        order: its name_norm is the query, then a name starts with it, then more mentions, a shorter name, the key."""
        if not query or _SEPARATOR in query:
            return []
        found: set[int] = set()
        at = self.blob.find(query)
        while at != -1:
            found.add(self.owner[bisect_right(self.starts, at) - 1])
            at = self.blob.find(query, at + 1)
        out = []
        for i in found:
            own = range(self.first[i], self.first[i + 1])
            norm = self.odd_norms[i] if self.norm_at[i] < 0 else self._name(self.first[i] + self.norm_at[i])
            rank = 0 if norm == query else 1 if any(self._name(j).startswith(query) for j in own) else 2
            key = self._key(i)
            out.append(((rank, -self.mentions[i], self.name_size[i], key), key, i))
        return out


class EntityNameIndex:
    def __init__(self, store: GraphStore, max_age: float = 60.0, poll_seconds: float = POLL_SECONDS):
        self.store = store
        self.max_age = max_age
        self.poll_seconds = poll_seconds
        self._names: dict[str, _Names] = {}
        self._loading: set[str] = set()
        self._lock = threading.Lock()
        self._polled_at = time.monotonic()
        self._polling = False

    # -- the names of a knowledge base, read in the background -----------------------------------------
    def _fresh(self, kb_id: str) -> _Names | None:
        """The knowledge base's names if usable now; starts reading them again when missing or old."""
        now, generation = time.monotonic(), graph_store.write_generation()
        with self._lock:
            names = self._names.get(kb_id)
            stale = names is None or names.generation != generation or names.stale or \
                now - names.loaded_at > self.max_age
            if stale and kb_id not in self._loading:
                self._loading.add(kb_id)
                threading.Thread(target=self._load, args=(kb_id,), name="zhiku-entity-names", daemon=True).start()
            if now - self._polled_at > self.poll_seconds and not self._polling and self._names:
                self._polling, self._polled_at = True, now
                threading.Thread(target=self._poll, name="zhiku-entity-names-poll", daemon=True).start()
        if names is None or names.generation != generation or names.stale:
            return None  # never read, or written since (this process, or another's counters moved): the server answers
        return names  # possibly older than max_age (a graph written by a version without counters): read again meanwhile

    def _poll(self) -> None:
        """Reads every loaded knowledge base's change counters (one small query) and marks those that moved: their
        lookups go to the graph server until the names are read again (started by the next lookup)."""
        try:
            with self._lock:
                loaded = dict(self._names)
            changes = self.store.changes(list(loaded))
            with self._lock:
                for kb_id, names in loaded.items():
                    if changes.get(kb_id, ()) != names.changes and self._names.get(kb_id) is names:
                        names.stale = True
        except Exception:  # noqa: BLE001 - asked again at the next poll
            pass
        finally:
            with self._lock:
                self._polling = False
                self._polled_at = time.monotonic()

    def _load(self, kb_id: str) -> None:
        try:
            generation = graph_store.write_generation()
            # read before the names, so a write between the two reads is seen at the next poll or re-read
            changes = self.store.changes([kb_id]).get(kb_id, ())
            signature = self.store.entity_names_signature(kb_id)
            with self._lock:
                known = self._names.get(kb_id)
                if known is not None and known.generation == generation and known.signature == signature \
                        and known.changes == changes and not known.stale:
                    known.loaded_at = time.monotonic()  # aged, not changed
                    return
            names = _Names.build(self.store.entity_names(kb_id), generation, kb_id)
            names.signature, names.changes = signature, changes
            with self._lock:
                self._names[kb_id] = names
        except Exception:  # noqa: BLE001 - the lookups fall back to the server's scan
            pass
        finally:
            with self._lock:
                self._loading.discard(kb_id)

    def wait_loaded(self, kb_ids: Sequence[str], timeout: float = 60.0) -> bool:
        """Read the knowledge bases' names now (tests, warm-up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._fresh(kb) is not None for kb in kb_ids):
                return True
            time.sleep(0.02)
        return False

    # -- lookups -----------------------------------------------------------------------------------------
    def known_names(self, kb_ids: Sequence[str], texts: Sequence[str]) -> set[str] | None:
        """Which of `texts` (normalised) are perhaps an entity's name or alias in these knowledge bases, as the index
        last read them (None: not read yet, or this process wrote since). The entity linker plans its fuzzy lookups
        with this before it asks the graph anything, so the exact lookup and the fuzzy fetch share a round trip."""
        tables = [self._fresh(kb) for kb in dict.fromkeys(kb_ids)]
        if not tables or any(t is None for t in tables):
            return None
        return {t for t in texts if any(table.names(t) for table in tables)}

    def ordered(self, kb_ids: Sequence[str], texts: Sequence[str]) -> list[list[str]] | None:
        """For each text, the keys of the entities a name of which contains it, in the server's order (None: the
        index cannot answer now; `search_many` then asks the server)."""
        planned = self.plan(kb_ids, texts)
        return None if planned is None else planned.ordered

    def plan(self, kb_ids: Sequence[str], texts: Sequence[str]) -> "Lookups | None":
        """`ordered`, with the entities found kept, so they can be read here (`Lookups.fetch`) instead of from the
        graph server. None: the index cannot answer now."""
        tables = [self._fresh(kb) for kb in dict.fromkeys(kb_ids)]
        if not tables or any(t is None for t in tables):
            return None
        out, found = [], {}
        for text in texts:
            query = normalise(text) if isinstance(text, str) else ""
            if not query or len(query) > MAX_NAME_CHARS:
                out.append([])
                continue
            matches = sorted((m for table in tables for m in ((s, k, (table, i)) for s, k, i in table.matches(query))),
                             key=lambda m: m[0])
            out.append([key for _, key, _ in matches])
            found.update((key, where) for _, key, where in matches)
        return Lookups(tables, out, found)

    @staticmethod
    def first_batch(ordered: list[list[str]], limit: int, document_ids: Sequence[str] | None) -> list[str]:
        """The keys `resolve` reads first (`limit` per text; more when access may hide some)."""
        batch = limit if document_ids is None else 4 * limit
        return list(dict.fromkeys(k for keys in ordered for k in keys[:batch]))

    def search_many(self, kb_ids: Sequence[str], texts: Sequence[str], limit: int = 20,
                    document_ids: Sequence[str] | None = None, here: bool = False) -> list[list[EntityHit]]:
        """`store.search_entities(kb_ids, text, limit, document_ids)` for each text, in one batched fetch; `here`
        (unrestricted callers only): the entities read from the index, without their provenance — no round trip."""
        kb_ids = list(dict.fromkeys(kb_ids))
        if not texts:
            return []
        planned = self.plan(kb_ids, texts) if kb_ids else None
        if planned is None:
            return [self.store.search_entities(kb_ids, text, limit, document_ids) for text in texts]
        fetch = planned.fetch if here and document_ids is None else None
        return self.resolve(kb_ids, texts, planned.ordered, limit, document_ids, fetch=fetch)

    @staticmethod
    def lookup(names: Sequence[str], keys: Sequence[str], limit: int,
               planned: "Lookups") -> tuple[list[EntityHit], list[EntityHit]]:
        """`GraphStore.lookup_entities(kb_ids, names, first_batch keys, limit)` for an unrestricted caller, answered
        from the index (`planned`: its fuzzy lookups): the entities one of whose names is one of `names` (normalised),
        most mentioned first, and the fuzzy lookups' entities. No round trip."""
        norms = {normalise(n) for n in names if isinstance(n, str)}
        named: dict[str, EntityHit] = {}
        for table in planned.tables:
            for norm in norms:
                if norm and len(norm) <= MAX_NAME_CHARS:
                    for i in table.named(norm):
                        hit = table.hit(i)
                        named.setdefault(hit.key, hit)
        ordered = sorted(named.values(), key=lambda h: (-h.mentions, h.key))[:limit]
        return ordered, planned.fetch(keys)

    def resolve(self, kb_ids: Sequence[str], texts: Sequence[str], ordered: list[list[str]], limit: int = 20,
                document_ids: Sequence[str] | None = None, fetched: dict[str, EntityHit] | None = None,
                asked: set[str] | None = None, fetch=None) -> list[list[EntityHit]]:
        """The first `limit` readable entities of each text's `ordered` keys. `fetched`/`asked`: entities already
        read (and the keys asked for, found or not); more are read in batches only when those fall short, by `fetch`
        (keys → hits; default: the graph server's `get_entities`, with the caller's access and provenance)."""
        if fetch is None:
            fetch = lambda keys: self.store.get_entities(kb_ids, keys, document_ids)  # noqa: E731
        queries = [normalise(t) if isinstance(t, str) else "" for t in texts]
        batch = limit if document_ids is None else 4 * limit
        fetched = dict(fetched or {})
        asked = set(asked or ())
        taken = [0] * len(queries)
        results: list[list[EntityHit]] = [[] for _ in queries]
        while True:
            for i, keys in enumerate(ordered):
                while len(results[i]) < limit and taken[i] < len(keys) and keys[taken[i]] in asked:
                    hit = fetched.get(keys[taken[i]])
                    taken[i] += 1
                    if hit is None:
                        continue  # removed since the names were read, or not readable by this caller
                    names = (hit.name, *hit.aliases)
                    if document_ids is not None and not any(queries[i] in normalise(n) for n in names):
                        continue  # matched through an alias only hidden documents use
                    results[i].append(hit)
            wanted = []
            for i, keys in enumerate(ordered):
                if len(results[i]) < limit and taken[i] < len(keys):
                    wanted += [k for k in keys[taken[i]:taken[i] + batch] if k not in asked]
            if not wanted:
                break
            wanted = list(dict.fromkeys(wanted))
            asked.update(wanted)
            fetched.update((h.key, h) for h in fetch(wanted))
        return results


@dataclass(slots=True)
class Lookups:
    """A query's fuzzy lookups planned on the index: the tables read (one per knowledge base), each text's entity keys
    in the server's order, and where each entity found is (table, entity)."""
    tables: list
    ordered: list[list[str]]
    found: dict

    def fetch(self, keys: Sequence[str]) -> list[EntityHit]:
        """The entities of `keys` found by these lookups, read from the index (unrestricted: no access to apply)."""
        out = []
        for key in keys:
            where = self.found.get(key)
            if where is not None:
                out.append(where[0].hit(where[1]))
        return out
