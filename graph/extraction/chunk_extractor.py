"""The extractor interface: one chunk's text → typed entities and typed relations between them.

An extractor returns an `Extraction` of `graph.graph_store.EntityInput` / `RelationInput`; every
relation's subject and object name an entity of the same extraction (the contract of
`GraphStore.write_chunk_facts`). Names are never longer than `MAX_NAME_CHARS`: extractors drop such
names instead of truncating them. Identity (keys, merged aliases) is the job of
`entity_resolution.EntityResolver`, applied after extraction.

Entity types used by the extractors (strings, so a knowledge base can add its own domain types):
organization, person, product, policy, account_type, loan_type, amount, date, location, entity
(another proper noun: a film, a band, a work, an event …) plus the configured domain types.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from zhiku.graph.graph_store import EntityInput, RelationInput

ENTITY_TYPES = ("organization", "person", "product", "policy", "account_type", "loan_type", "amount",
                "date", "location", "entity")
# Entities that are values, not things: kept (a chunk can be found by them) but never joined by
# co-occurrence edges, which would turn "2019" or "100万元" into hubs.
VALUE_TYPES = frozenset({"amount", "date"})
COOCCURRENCE = "related_to"


@dataclass
class Extraction:
    entities: list[EntityInput] = field(default_factory=list)
    relations: list[RelationInput] = field(default_factory=list)

    def names(self) -> set[str]:
        return {n for e in self.entities for n in (e.name, *e.aliases)}


@runtime_checkable
class ChunkExtractor(Protocol):
    name: str

    def extract(self, text: str, heading_path: Sequence[str] = ()) -> Extraction:
        """Entities and relations of one chunk. Never raises on odd text (injection strings, very long
        runs, mixed scripts): worst case an empty or smaller Extraction."""
        ...
