"""Builds the configured extractor and, per knowledge base, the entity resolver with its alias dictionaries."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from zhiku.core.errors import ConfigurationError
from zhiku.core.settings import Settings
from zhiku.graph.extraction.chunk_extractor import ChunkExtractor
from zhiku.graph.extraction.entity_resolution import EntityResolver


def make_extractor(settings: Settings) -> ChunkExtractor:
    from zhiku.graph.extraction.rule_extractor import RuleExtractor

    domain_types = _read_json(settings.graph_domain_types_file, "ZHIKU_GRAPH_DOMAIN_TYPES_FILE")
    rules = RuleExtractor(domain_types=domain_types)
    if settings.graph_extractor == "rules":
        return rules
    if not (settings.llm_base_url and settings.llm_model):
        raise ConfigurationError("ZHIKU_GRAPH_EXTRACTOR=llm needs ZHIKU_LLM_BASE_URL and ZHIKU_LLM_MODEL")
    from zhiku.graph.extraction.llm_extractor import LlmExtractor

    return LlmExtractor(settings.llm_base_url, settings.llm_model, settings.llm_api_key,
                        timeout=settings.llm_timeout_seconds, fallback=rules, domain_types=tuple(domain_types or ()))


def make_resolver_factory(settings: Settings) -> Callable[[str], EntityResolver]:
    """Built-in aliases, then ZHIKU_GRAPH_ALIAS_FILE, then <alias dir>/<kb id>.json, each merged over the last."""
    shared = _read_json(settings.graph_alias_file, "ZHIKU_GRAPH_ALIAS_FILE")

    def resolver_for(kb_id: str) -> EntityResolver:
        resolver = EntityResolver(shared)
        own = settings.resolved_graph_alias_dir / f"{kb_id}.json"
        if own.is_file():
            resolver.merge(_read_json(own, str(own)))
        return resolver

    return resolver_for


def _read_json(path: Path | None, what: str):
    if path is None:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read {what} ({path}): {exc}") from exc
