"""Entity linking: the entities of a knowledge graph that a query names (exact, alias or fuzzy).

1. Candidate mentions (at most MAX_CANDIDATES, longest first, from the first MAX_QUERY_CHARS of the query):
   the extractor's entities (with the resolver's canonical name and aliases), jieba words of 2+
   characters and adjacent-word bigrams/trigrams in Chinese runs, capitalised phrases and word
   1–4-grams in Latin runs, minus stop words.
2. Exact / alias: the name index's table of each knowledge base (an unrestricted caller: no round trip), or one
   `store.lookup_entities` / `find_entities` call for all candidates (the graph's Alias index). A hit whose name
   equals a candidate is "exact" (score 1.0), else "alias" (0.95). An alias written all in capitals
   (PSBC, SAFE) only counts when the query writes it in capitals too, so "safe" is not 国家外汇管理局.
3. Fuzzy, for the longest candidates not matched yet (at most MAX_FUZZY_LOOKUPS substring searches over
   names and aliases, in the linker's name index (graph/entity_names.py) with one batched fetch, or
   `store.search_entities` each; a 5-character prefix is also tried, so "Aschenbrodel" finds
   "Aschenbrödel"): accepted when difflib's ratio between the candidate and
   the hit's best name, accents folded, is ≥ `fuzzy_threshold`; score = 0.9 × ratio.
Query text is only ever a parameter value: Cypher-injection strings are just text that matches nothing.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from zhiku.graph.extraction.chunk_extractor import VALUE_TYPES, ChunkExtractor
from zhiku.graph.extraction.entity_resolution import EntityResolver, identity
from zhiku.graph.extraction.rule_extractor import EN_STOP, GENERIC_NAMES, STOP_LEFT, _Jieba, _is_cjk
from zhiku.graph.entity_names import EntityNameIndex
from zhiku.graph.graph_store import MAX_NAME_CHARS, EntityHit, GraphStore, normalise

MAX_QUERY_CHARS = 1000
MAX_CANDIDATES = 64
MAX_FUZZY_LOOKUPS = 6
FUZZY_HITS = 20  # entities read per fuzzy lookup
_LATIN_RUN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ0-9][\w'’\-.&]*(?:\s+[A-Za-zÀ-ÖØ-öø-ÿ0-9][\w'’\-.&]*)*")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


@dataclass
class LinkedEntity:
    key: str
    name: str
    type: str
    how: str        # "exact" | "alias" | "fuzzy"
    score: float
    mention: str = ""
    mentions: int | None = None  # chunks mentioning it (readable ones, for a caller with restricted access)


def _common_word_for_name(mention: str, name: str) -> bool:
    """"television" in "the television series" is a common noun, not the entity called "Television"."""
    return mention.isascii() and " " not in mention and mention.islower() and not name.islower()


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", identity(text))
    return "".join(c for c in text if not unicodedata.combining(c))


class EntityLinker:
    def __init__(self, store: GraphStore, extractor: ChunkExtractor | None = None,
                 resolver: EntityResolver | None = None, *, fuzzy_threshold: float = 0.82,
                 name_index: EntityNameIndex | None | bool = True) -> None:
        """`name_index`: where fuzzy lookups search names (True: an index of this linker's own; False or None:
        the graph server's scan, one query per lookup)."""
        self.store = store
        self.extractor = extractor
        self.resolver = resolver
        self.fuzzy_threshold = fuzzy_threshold
        self.name_index = EntityNameIndex(store) if name_index is True else (name_index or None)

    # --- candidates -------------------------------------------------------------------------------
    def candidates(self, query: str) -> list[str]:
        return [name for name, _ in self._candidates(query)]

    def _candidates(self, query: str) -> list[tuple[str, str | None]]:
        """(name, None) for text of the query; (name, mention) for a dictionary name the mention stands for."""
        if not isinstance(query, str):
            return []
        text = unicodedata.normalize("NFKC", query[:MAX_QUERY_CHARS])
        found: dict[str, tuple[str, str | None]] = {}   # normalised → (name, the mention it expands)

        def add(name: str, origin: str | None = None) -> None:
            name = name.strip(" \t\n,.;:!?，。；：！？、\"'“”‘’()（）《》")
            if len(name) < 2 or len(name) > MAX_NAME_CHARS or name.isdigit():
                return
            low = name.casefold()
            if low in EN_STOP or name in GENERIC_NAMES or name in STOP_LEFT:
                return
            found.setdefault(normalise(name), (name, origin))

        if self.extractor is not None:
            try:
                extraction = self.extractor.extract(text)
            except Exception:  # noqa: BLE001 - linking works without the extractor
                extraction = None
            if extraction is not None:
                for entity in extraction.entities:
                    if entity.type in VALUE_TYPES:
                        continue
                    add(entity.name)
                    for alias in entity.aliases:
                        add(alias)
        if self.resolver is not None:
            for surface, _ in list(found.values()):
                hit = self.resolver.canonical(surface)
                if hit:
                    add(hit[0], surface)
                    for alias in hit[2][:8]:
                        add(alias, surface)
        for run in _CJK_RUN.findall(text):
            words = [w for w in _Jieba.load().jieba.lcut(run, HMM=True)]
            for i, w in enumerate(words):
                add(w)
                if i + 1 < len(words):
                    add(w + words[i + 1])
                if i + 2 < len(words):
                    add(w + words[i + 1] + words[i + 2])
        for run in _LATIN_RUN.findall(text):
            tokens = run.split()
            for m in re.finditer(r"(?:[A-Z][\w'’\-.&]*)(?:\s+(?:of|the|and|de|von|van|&)?\s*[A-Z][\w'’\-.&]*)*", run):
                add(m.group())
            for size in (4, 3, 2, 1):
                for i in range(0, len(tokens) - size + 1):
                    gram = tokens[i:i + size]
                    if gram[0].casefold() in EN_STOP or gram[-1].casefold() in EN_STOP:
                        continue
                    add(" ".join(gram))
        # the query's own words first (longest first), then dictionary expansions
        ranked = sorted(found.values(), key=lambda c: (c[1] is not None, -len(c[0]), c[0]))
        return ranked[:MAX_CANDIDATES]

    # --- linking ----------------------------------------------------------------------------------
    def link(self, kb_ids: Sequence[str], query: str, limit: int = 10,
             document_ids: Sequence[str] | None = None) -> list[LinkedEntity]:
        """Entities the query names; with `document_ids`, only entities those documents mention."""
        limit = max(1, min(int(limit), 100))
        candidates = self._candidates(query)
        if not candidates:
            return []
        mentions = [name for name, _ in candidates]
        by_norm = {normalise(name): name for name, _ in candidates}
        origin = {normalise(name): o for name, o in candidates}
        linked: dict[str, LinkedEntity] = {}
        exact_limit = min(1000, 4 * MAX_CANDIDATES)
        known = self.name_index.known_names(kb_ids, list(by_norm)) if self.name_index is not None else None
        planned = None
        if known is not None:
            # The name index says which candidates are names already, so the fuzzy lookups are planned before
            # anything is asked, and one query reads the exact matches and the fuzzy lookups' first entities.
            lookups = self._fuzzy_lookups(candidates, known)
            texts = [text for _, text in lookups]
            planned = self.name_index.plan(kb_ids, texts)
        if planned is not None:
            keys = self.name_index.first_batch(planned.ordered, FUZZY_HITS, document_ids)
            here = document_ids is None
            if here:
                # An unrestricted caller: the index answers the exact lookup and the fuzzy fetch as the graph would
                # (its names as last read; see graph/entity_names.py on freshness): no round trip to link.
                named, keyed = self.name_index.lookup(mentions, keys, exact_limit, planned)
            else:  # the documents the caller may read decide which entities and names it sees: the graph's query
                named, keyed = self.store.lookup_entities(kb_ids, mentions, keys, limit=exact_limit,
                                                          document_ids=document_ids)
            matched = self._exact(linked, named, by_norm, origin)
            if self._fuzzy_lookups(candidates, matched) == lookups:
                found = self.name_index.resolve(kb_ids, texts, planned.ordered, FUZZY_HITS, document_ids,
                                                {h.key: h for h in keyed}, set(keys),
                                                fetch=planned.fetch if here else None)
            else:  # the graph knows a name the index did not (written since it was read): plan again
                lookups = self._fuzzy_lookups(candidates, matched)
                texts = [text for _, text in lookups]
                found = self.name_index.search_many(kb_ids, texts, limit=FUZZY_HITS, document_ids=document_ids,
                                                    here=here)
        else:
            matched = self._exact(linked, self.store.find_entities(kb_ids, mentions, limit=exact_limit,
                                                                   document_ids=document_ids), by_norm, origin)
            lookups = self._fuzzy_lookups(candidates, matched)
            texts = [text for _, text in lookups]
            if self.name_index is not None:
                found = self.name_index.search_many(kb_ids, texts, limit=FUZZY_HITS, document_ids=document_ids)
            else:
                found = [self.store.search_entities(kb_ids, text, limit=FUZZY_HITS, document_ids=document_ids)
                         for text in texts]
        for (mention, _), hits in zip(lookups, found):
            for hit in hits:
                score = self._fuzzy_score(mention, (hit.name, *hit.aliases))
                if score:
                    self._add(linked, hit, "fuzzy", score, mention)
        ranked = sorted(linked.values(), key=lambda e: (-e.score, -len(e.mention), e.key))
        return ranked[:limit]

    def _exact(self, linked: dict[str, LinkedEntity], hits: Sequence[EntityHit], by_norm: dict[str, str],
               origin: dict[str, str | None]) -> set[str]:
        """Adds the exact and alias matches among `hits` (entities a candidate names); returns the matched
        candidates (normalised)."""
        matched: set[str] = set()
        for hit in hits:
            exact = by_norm.get(normalise(hit.name))
            if exact is not None and _common_word_for_name(exact, hit.name):
                continue
            if exact is not None:
                if origin.get(normalise(hit.name)) is None:
                    self._add(linked, hit, "exact", 1.0, exact)
                else:   # the query wrote an alias; the resolver named the canonical entity
                    self._add(linked, hit, "alias", 0.95, origin[normalise(hit.name)])
                matched.add(normalise(exact))
                continue
            for alias in hit.aliases:
                mention = by_norm.get(normalise(alias))
                if mention is None:
                    continue
                if alias.isupper() and len(alias) <= 6 and not (origin.get(normalise(alias)) or mention).isupper():
                    continue   # "SAFE" the agency, not "safe"
                self._add(linked, hit, "alias", 0.95, origin.get(normalise(alias)) or mention)
                matched.add(normalise(mention))
                break
        return matched

    @staticmethod
    def _fuzzy_lookups(candidates: list[tuple[str, str | None]], matched: set[str]) -> list[tuple[str, str]]:
        """(mention, text searched for) of the longest candidates not matched exactly (at most MAX_FUZZY_LOOKUPS)."""
        lookups: list[tuple[str, str]] = []
        for mention, expanded in candidates:
            if len(lookups) >= MAX_FUZZY_LOOKUPS:
                break
            if expanded is not None:
                continue
            n = normalise(mention)
            if n in matched or any(n in m for m in matched) or len(mention) < (2 if _is_cjk(mention[0]) else 4):
                continue
            if not _is_cjk(mention[0]) and mention.islower():
                continue    # fuzzy only for names: capitalised phrases or Chinese words
            queries = [mention] if len(mention) <= 5 else [mention, mention[:5]]
            lookups += [(mention, text) for text in queries][:MAX_FUZZY_LOOKUPS - len(lookups)]
        return lookups

    def _fuzzy_score(self, mention: str, names: Sequence[str]) -> float:
        """0.9 × difflib ratio (accents folded) when ≥ the threshold; a mention contained in a longer name
        (华远置业 in 北京华远置业有限公司) also counts when it is at least 3 CJK characters or 5 letters, scored
        by how much of the name it covers. 0.0 = no match."""
        folded = _fold(mention)
        best = 0.0
        for name in names:
            other = _fold(name)
            ratio = difflib.SequenceMatcher(None, folded, other).ratio()
            if ratio >= self.fuzzy_threshold:
                best = max(best, 0.9 * ratio)
            elif folded in other and len(folded) >= (3 if _is_cjk(folded[0]) else 5):
                best = max(best, 0.9 * (0.5 + 0.5 * len(folded) / len(other)))
        return round(best, 4)

    @staticmethod
    def _add(linked: dict[str, LinkedEntity], hit: EntityHit, how: str, score: float, mention: str) -> None:
        old = linked.get(hit.key)
        if old is None or score > old.score:
            linked[hit.key] = LinkedEntity(hit.key, hit.name, hit.type, how, score, mention, hit.mentions)
