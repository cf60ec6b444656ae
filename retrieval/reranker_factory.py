"""Builds the second stage named by the settings."""
from __future__ import annotations

from zhiku.core.errors import ConfigurationError
from zhiku.core.settings import Settings
from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.retrieval.reranker import Reranker


def build_reranker(settings: Settings, tokenizer: SparseEncoder) -> Reranker | None:
    if settings.reranker == "none":
        return None
    if settings.reranker == "cross-encoder":
        if not settings.reranker_model_path:
            raise ConfigurationError("reranker=cross-encoder needs ZHIKU_RERANKER_MODEL_PATH")
        from zhiku.retrieval.cross_encoder_reranker import CrossEncoderReranker

        return CrossEncoderReranker(settings.reranker_model_path, threads=settings.model_threads)
    if settings.reranker == "gated":
        from zhiku.retrieval.gated_reranker import GatedReranker

        return GatedReranker(tokenizer)
    if settings.reranker == "evidence":
        from zhiku.retrieval.evidence_reranker import EvidenceReranker

        return EvidenceReranker(tokenizer)
    if settings.reranker == "guarded":
        from zhiku.retrieval.guarded_reranker import GuardedReranker

        return GuardedReranker(tokenizer)
    if settings.reranker == "learned":
        from zhiku.retrieval.learned_reranker import LearnedReranker

        return LearnedReranker(tokenizer)
    from zhiku.retrieval.feature_reranker import FeatureReranker

    return FeatureReranker(tokenizer)
