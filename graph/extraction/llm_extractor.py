"""Extraction by an LLM behind an OpenAI-compatible chat endpoint, with structured (JSON-schema) output.

POST {base_url}/chat/completions with `response_format: {"type": "json_schema", ...}`; the reply's
message content must be JSON {"entities": [{"name", "type", "aliases"?}], "relations": [{"subject",
"type", "object"}]}. It is validated before use: names are strings of 1..MAX_NAME_CHARS characters
(longer ones are dropped, never truncated), unknown entity types become `entity`, relation types are
lower-case identifiers, relations must name listed entities, counts are capped. Any failure —
transport error, timeout, HTTP status, malformed or invalid JSON — falls back to the rule extractor
for that chunk (logged), so ingestion never stops on the LLM.

The LLM server itself is a later issue; the tests drive this class with canned replies through
`httpx.MockTransport`.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence

import httpx

from zhiku.graph.extraction.chunk_extractor import COOCCURRENCE, ENTITY_TYPES, Extraction
from zhiku.graph.extraction.rule_extractor import RELATION_PATTERNS, RuleExtractor
from zhiku.graph.graph_store import MAX_ALIASES, MAX_NAME_CHARS, EntityInput, RelationInput

log = logging.getLogger(__name__)

MAX_LLM_ENTITIES = 64
MAX_LLM_RELATIONS = 128
MAX_PROMPT_CHARS = 6000
_REL_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
RELATION_TYPES = tuple(sorted({p.type for p in RELATION_PATTERNS} | {"branch_of", COOCCURRENCE}))

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["entities", "relations"],
    "properties": {
        "entities": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "type"],
            "properties": {"name": {"type": "string"}, "type": {"type": "string"},
                           "aliases": {"type": "array", "items": {"type": "string"}}}}},
        "relations": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["subject", "type", "object"],
            "properties": {"subject": {"type": "string"}, "type": {"type": "string"}, "object": {"type": "string"}}}},
    },
}

PROMPT = """Extract the named entities and the relations between them from the text (Chinese or English).
Entity types: {types}. Use "entity" for other proper nouns (films, books, events). Keep names exactly as
written; put other names used for the same entity in "aliases". Do not extract pronouns, generic words or
bare numbers; amounts (money, percentages) and dates are entities of type amount / date.
Relation types: {relations}. Direction: subject → object, e.g. guarantor guarantees borrower, person
legal_representative company, subsidiary subsidiary_of parent, policy issued_by regulator, lender lends_to
borrower, borrower overdue_loan_of lender. Use related_to for another clear link between two entities of one
sentence. Relations may only name extracted entities. Reply with JSON only."""


class LlmExtractor:
    name = "llm"

    def __init__(self, base_url: str, model: str, api_key: str | None = None, *, timeout: float = 60.0,
                 fallback: RuleExtractor | None = None, domain_types: Sequence[str] = (),
                 client: httpx.Client | None = None, temperature: float = 0.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.fallback = fallback or RuleExtractor()
        self.types = tuple(dict.fromkeys((*ENTITY_TYPES, *domain_types)))
        self.temperature = temperature
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(timeout=timeout, headers=headers)
        self.fallbacks = 0   # chunks the rule extractor handled because the LLM failed

    def close(self) -> None:
        self._client.close()

    def extract(self, text: str, heading_path: Sequence[str] = ()) -> Extraction:
        if not isinstance(text, str) or not text.strip():
            return Extraction()
        try:
            reply = self._call(text[:MAX_PROMPT_CHARS], heading_path)
            return self.parse(reply)
        except Exception as exc:  # noqa: BLE001 - any failure: the rules handle this chunk
            self.fallbacks += 1
            log.warning("LLM extraction failed (%s: %s); using the rule extractor for this chunk",
                        type(exc).__name__, str(exc)[:200])
            return self.fallback.extract(text, heading_path)

    def _call(self, text: str, heading_path: Sequence[str]) -> str:
        context = " > ".join(h for h in heading_path if isinstance(h, str))[:300]
        body = {
            "model": self.model,
            "temperature": self.temperature,
            "messages": [
                {"role": "system", "content": PROMPT.format(types=", ".join(self.types),
                                                            relations=", ".join(RELATION_TYPES))},
                {"role": "user", "content": (f"Section: {context}\n\n" if context else "") + f"Text:\n{text}"},
            ],
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": "extraction", "strict": True, "schema": SCHEMA}},
        }
        response = self._client.post(f"{self.base_url}/chat/completions", json=body)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise ValueError("the reply has no text content")
        return content

    def parse(self, content: str) -> Extraction:
        """Validated Extraction from the model's JSON; raises ValueError when it is not usable."""
        text = content.strip()
        fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.S)
        if fenced:
            text = fenced.group(1)
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("entities"), list):
            raise ValueError("the reply is not an object with an 'entities' list")
        relations_in = data.get("relations") or []
        if not isinstance(relations_in, list):
            raise ValueError("'relations' is not a list")
        entities: dict[str, EntityInput] = {}
        names: set[str] = set()
        for item in data["entities"][:MAX_LLM_ENTITIES * 2]:
            if not isinstance(item, dict):
                continue
            name, type_ = item.get("name"), item.get("type")
            if not _ok_name(name):
                continue
            type_ = type_.strip().lower() if isinstance(type_, str) else "entity"
            if type_ not in self.types:
                type_ = "entity"
            aliases = tuple(a for a in (item.get("aliases") or []) if _ok_name(a) and a != name)[:MAX_ALIASES] \
                if isinstance(item.get("aliases"), list) else ()
            try:
                entity = EntityInput(name, type_, aliases)
            except ValueError:
                continue
            if entity.name.casefold() in entities or len(entities) >= MAX_LLM_ENTITIES:
                continue
            entities[entity.name.casefold()] = entity
            names.update(n.casefold() for n in (entity.name, *entity.aliases))
        relations: list[RelationInput] = []
        for item in relations_in:
            if len(relations) >= MAX_LLM_RELATIONS:
                break
            if not isinstance(item, dict):
                continue
            subject, type_, obj = item.get("subject"), item.get("type"), item.get("object")
            if not (_ok_name(subject) and _ok_name(obj) and isinstance(type_, str)):
                continue
            type_ = re.sub(r"[\s\-]+", "_", type_.strip().lower())
            if not _REL_TYPE.match(type_):
                continue
            try:
                relation = RelationInput(subject, type_, obj)
            except ValueError:
                continue
            if relation.subject.casefold() in names and relation.object.casefold() in names \
                    and relation.subject.casefold() != relation.object.casefold():
                relations.append(relation)
        return Extraction(list(entities.values()), relations)


def _ok_name(value) -> bool:
    return isinstance(value, str) and 0 < len(value.strip()) <= MAX_NAME_CHARS
