"""Zhiku inside other frameworks (LlamaIndex): adapters that depend on the stages, never the other way round."""
