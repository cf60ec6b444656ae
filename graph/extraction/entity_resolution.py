"""Entity resolution: one identity per real-world entity within a knowledge base.

Identity (`identity()`): NFKC (full-width → half-width), case-folded, whitespace collapsed, quotes and
title marks (《》“”「」'"), trailing full stops and a leading English "the " removed. "Bank of China",
"BANK OF CHINA" and "ｂａｎｋ ｏｆ ｃｈｉｎａ" are one identity; 《商业银行法》 and 商业银行法 too.

Alias dictionary: canonical name → aliases (and a type), the built-in `graph/data/aliases.json` with a
knowledge base's own file merged over it (its entries add aliases to, or define, canonical entities).
Accepted file forms: {"entities": [{"name", "type", "aliases": [...]}, ...]} or {canonical: [aliases]}.
An alias claimed by two canonical entities belongs to the later one (the knowledge base's file wins).

`resolve(extraction)`: every entity gets `key` = "n:" + identity of its canonical name, so
  - 中国邮政储蓄银行 / 邮储银行 / PSBC / Postal Savings Bank of China → one key, the canonical name as the
    entity's name, the surface forms and the dictionary's aliases as its aliases (up to MAX_ALIASES);
  - outside the dictionary the identity of the name itself is the key, regardless of the extracted type:
    "Hank Snow" typed person in one passage and entity in another is one node, which is what lets graph
    expansion cross from one passage to the next (the type of the first writer is kept by the store);
  - relations are rewritten to canonical names; self-loops created by merging are dropped.

Company suffixes (conservative rule): 某某股份有限公司 and 某某公司 / 某某 are merged only when the alias
dictionary says so, or when the same chunk declares the short form (…股份有限公司（以下简称“某某”）, which the
rule extractor turns into an alias). Across chunks, different legal names stay different entities:
"XX科技有限公司" and "XX科技股份有限公司" can be distinct companies (a subsidiary and its parent).
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from zhiku.graph.extraction.chunk_extractor import Extraction
from zhiku.graph.graph_store import MAX_ALIASES, MAX_NAME_CHARS, EntityInput, RelationInput

BUILTIN_ALIASES = Path(__file__).resolve().parent.parent / "data" / "aliases.json"
_QUOTES = re.compile(r"[《》〈〉“”‘’「」『』\"'`«»]")
_SPACE = re.compile(r"\s+")
KEY_PREFIX = "n:"


def identity(name: str) -> str:
    text = unicodedata.normalize("NFKC", name)
    text = _QUOTES.sub("", text)
    text = _SPACE.sub(" ", text).strip().casefold()
    text = text.rstrip(".。")
    if text.startswith("the ") and len(text) > 4:
        text = text[4:]
    return text


class EntityResolver:
    def __init__(self, aliases: Mapping | None = None, *, include_builtin: bool = True) -> None:
        self._canonical: dict[str, str] = {}          # identity of canonical name → canonical name
        self._types: dict[str, str] = {}              # identity of canonical name → type
        self._aliases: dict[str, list[str]] = {}      # identity of canonical name → aliases
        self._lookup: dict[str, str] = {}             # identity of any name/alias → identity of canonical
        if include_builtin and BUILTIN_ALIASES.exists():
            self.merge(json.loads(BUILTIN_ALIASES.read_text(encoding="utf-8")))
        if aliases:
            self.merge(aliases)

    @classmethod
    def from_file(cls, path: str | Path | None, *, include_builtin: bool = True) -> "EntityResolver":
        """The built-in dictionary with a knowledge base's alias file (JSON) merged over it."""
        resolver = cls(include_builtin=include_builtin)
        if path:
            resolver.merge(json.loads(Path(path).read_text(encoding="utf-8")))
        return resolver

    # --- dictionary -------------------------------------------------------------------------------
    def merge(self, data: Mapping) -> None:
        if not isinstance(data, Mapping):
            raise ValueError("an alias dictionary is a JSON object")
        if "entities" in data and isinstance(data["entities"], list):
            rows = [(e.get("name"), e.get("type"), e.get("aliases") or []) for e in data["entities"] if isinstance(e, Mapping)]
        else:
            rows = [(k, None, v) for k, v in data.items() if k not in ("description", "version")]
        for name, type_, aliases in rows:
            self.add(name, aliases if isinstance(aliases, list) else [], type_)

    def add(self, canonical: str, aliases: Iterable[str] = (), type_: str | None = None) -> None:
        if not isinstance(canonical, str) or not canonical.strip() or len(canonical) > MAX_NAME_CHARS:
            return
        canonical = _SPACE.sub(" ", unicodedata.normalize("NFKC", canonical)).strip()
        cid = identity(canonical)
        if cid in self._lookup and self._lookup[cid] != cid and cid not in self._canonical:
            cid = self._lookup[cid]          # the canonical name is already another entry's alias: extend that
            canonical = self._canonical[cid]
        self._canonical.setdefault(cid, canonical)
        if type_:
            self._types[cid] = type_
        known = self._aliases.setdefault(cid, [])
        self._lookup[cid] = cid
        for alias in aliases:
            if not isinstance(alias, str) or not alias.strip() or len(alias) > MAX_NAME_CHARS:
                continue
            alias = _SPACE.sub(" ", unicodedata.normalize("NFKC", alias)).strip()
            aid = identity(alias)
            if aid == cid:
                continue
            if alias not in known:
                known.append(alias)
            self._lookup[aid] = cid

    def canonical(self, name: str) -> tuple[str, str | None, list[str]] | None:
        """(canonical name, type, aliases) of a dictionary entity named `name`, else None."""
        cid = self._lookup.get(identity(name))
        if cid is None:
            return None
        return self._canonical[cid], self._types.get(cid), list(self._aliases.get(cid, []))

    def names(self) -> dict[str, str]:
        """Every dictionary name and alias → its type ("organization" when the file gives none): the rule
        extractor's dictionary."""
        out: dict[str, str] = {}
        for cid, canonical in self._canonical.items():
            type_ = self._types.get(cid) or "organization"
            for name in (canonical, *self._aliases.get(cid, [])):
                out[name] = type_
        return out

    def key_of(self, name: str) -> str:
        hit = self.canonical(name)
        return KEY_PREFIX + identity(hit[0] if hit else name)

    # --- resolution -------------------------------------------------------------------------------
    def resolve(self, extraction: Extraction) -> Extraction:
        merged: dict[str, dict] = {}
        order: list[str] = []
        rename: dict[str, str] = {}   # any surface name or alias → canonical name
        for entity in extraction.entities:
            hit = self.canonical(entity.name)
            if hit is None:
                for alias in entity.aliases:   # a declared short name can be the dictionary's
                    hit = self.canonical(alias)
                    if hit:
                        break
            if hit:
                name, dict_type, dict_aliases = hit
                type_ = dict_type or entity.type
            else:
                name, type_, dict_aliases = entity.name, entity.type, []
            key = KEY_PREFIX + identity(name)
            if len(key) > MAX_NAME_CHARS:
                continue
            slot = merged.get(key)
            if slot is None:
                slot = merged[key] = {"name": name, "type": type_, "aliases": []}
                order.append(key)
            elif slot["type"] == "entity" and type_ != "entity":
                slot["type"] = type_
            for alias in (entity.name, *entity.aliases, *dict_aliases):
                if identity(alias) != identity(slot["name"]) and alias not in slot["aliases"]:
                    slot["aliases"].append(alias)
            for surface in (entity.name, *entity.aliases):
                rename[identity(surface)] = slot["name"]
        entities = []
        for key in order:
            slot = merged[key]
            aliases = _dedupe_by_identity(slot["aliases"], slot["name"])[:MAX_ALIASES]
            entities.append(EntityInput(slot["name"], slot["type"], tuple(aliases), key=key))
        relations: list[RelationInput] = []
        seen: set[tuple[str, str, str]] = set()
        for relation in extraction.relations:
            subject = rename.get(identity(relation.subject))
            obj = rename.get(identity(relation.object))
            if subject is None or obj is None or identity(subject) == identity(obj):
                continue
            triple = (subject, relation.type, obj)
            if triple not in seen:
                seen.add(triple)
                relations.append(RelationInput(*triple))
        return Extraction(entities, relations)


def _dedupe_by_identity(names: list[str], canonical: str) -> list[str]:
    seen = {identity(canonical)}
    out = []
    for name in names:
        i = identity(name)
        if i not in seen:
            seen.add(i)
            out.append(name)
    return out
