"""Entity and relation extraction for the knowledge graph (issue #4).

- `chunk_extractor`: the `ChunkExtractor` protocol and the `Extraction` result.
- `rule_extractor.RuleExtractor`: the offline default (Chinese + English: jieba words and tags,
  dictionaries, name patterns, typed relation patterns kept as data, bounded co-occurrence edges).
- `llm_extractor.LlmExtractor`: an OpenAI-compatible chat endpoint with structured output, falling
  back to the rule extractor on any error.
- `entity_resolution.EntityResolver`: normalised identity and alias dictionaries (per knowledge base
  over the built-in `graph/data/aliases.json`).
"""
from zhiku.graph.extraction.chunk_extractor import COOCCURRENCE, ENTITY_TYPES, VALUE_TYPES, ChunkExtractor, Extraction

__all__ = ["COOCCURRENCE", "ENTITY_TYPES", "VALUE_TYPES", "ChunkExtractor", "Extraction"]
