"""A chunk's terms are kept in its payload at indexing time, so the second stage never tokenises a candidate;
stores written before (no terms) still search, tokenising as before."""
import hashlib
import json

import numpy as np
import pytest

from zhiku.core.types import Chunk
from zhiku.index.chunk_terms import TERMS_BY_FIELD, TERMS_FIELD, TERMS_ID, StoredTerms, encode_chunk
from zhiku.index.edge_store import EdgeVectorStore
from zhiku.index.indexer import DocumentRef, Indexer
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.index.vector_store import ChunkFilter, IndexPoint
from zhiku.retrieval.feature_reranker import FeatureReranker
from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalMode
from zhiku.retrieval.learned_reranker import LearnedReranker, SecondStageWeights

DIM = 32
TEXTS = [
    "首趟RCEP班列从南宁国际铁路港出发，起点为南宁。",
    "RCEP协定生效后，多个城市开通班列，首趟列车的时间尚未公布，起点城市众多。",
    "个人住房贷款利率为3.95%，较上年下降，由各分行办理。",
    "信用卡年费在首年免收，次年起刷卡满六次可免次年年费。",
    "The loan term is thirty years for first-home buyers.",
]
QUERY = "首趟RCEP班列的起点是哪里"


class HashEmbedder:
    """Deterministic vectors (the test is about terms, not about the model)."""

    model_id = "test:hash"
    dimension = DIM

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed_passages(self, texts, on_progress=None):
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


class StrictTokenizer(JiebaBm25Encoder):
    """jieba, recording every text it tokenises; `forbidden`: texts it must not be asked to read."""

    def __init__(self, forbidden=()):
        super().__init__()
        self.texts: list[str] = []
        self.forbidden = set(forbidden)

    def tokenize(self, text: str) -> list[str]:
        if text in self.forbidden:
            raise AssertionError(f"the second stage tokenised a candidate with stored terms: {text!r}")
        self.texts.append(text)
        return super().tokenize(text)


def _chunks(texts, heading=("第一章 总则",)) -> list[Chunk]:
    return [Chunk(f"c{i}", text, i, 1, None, list(heading), 0, len(text)) for i, text in enumerate(texts)]


@pytest.fixture()
def edge_store(tmp_path):
    store = EdgeVectorStore(tmp_path / "chunks")
    store.ensure_collection(DIM, HashEmbedder.model_id)
    yield store
    store.close()


def _index(store, texts, sparse=None) -> Indexer:
    indexer = Indexer(store, HashEmbedder(), sparse or JiebaBm25Encoder())
    indexer.index(DocumentRef("kb", "doc", "v1", "doc.docx", "docx", ["*"]), _chunks(texts))
    return indexer


def test_one_tokenisation_gives_the_same_sparse_vector_and_the_texts_terms():
    sparse = JiebaBm25Encoder()
    chunk = _chunks([TEXTS[0]], heading=("第三章 贷款", "第十条"))[0]
    vector, fields = encode_chunk(sparse, chunk.embedding_text, chunk.text)
    expected = sparse.encode_document(chunk.embedding_text)
    assert vector.indices == expected.indices and vector.values == pytest.approx(expected.values)
    assert fields == {TERMS_FIELD: " ".join(sparse.tokenize(chunk.text)), TERMS_BY_FIELD: TERMS_ID}
    assert StoredTerms.of(fields).for_tokenizer(sparse) == sparse.tokenize(chunk.text)


def test_the_payload_keeps_the_terms_in_a_real_edge_store_and_the_hit_brings_them_back(edge_store):
    sparse = JiebaBm25Encoder()
    _index(edge_store, TEXTS, sparse)
    points = edge_store.fetch(ChunkFilter(kb_ids=["kb"]), 10)
    assert len(points) == len(TEXTS)
    for point in points:
        assert point.payload[TERMS_BY_FIELD] == TERMS_ID
        assert point.payload[TERMS_FIELD].split(" ") == sparse.tokenize(point.payload["text"])
        # payload size: the terms take about as many bytes as the text itself (measured at 100k: docs/benchmarks.md)
        assert len(point.payload[TERMS_FIELD].encode()) <= 1.5 * len(point.payload["text"].encode())
    hits = HybridRetriever(edge_store, HashEmbedder(), sparse, None).search(QUERY, ChunkFilter(kb_ids=["kb"]), 5,
                                                                           RetrievalMode.HYBRID)
    assert hits and all(h.stored_terms().for_tokenizer(sparse) == sparse.tokenize(h.text) for h in hits)


@pytest.mark.parametrize("second_stage", ["feature", "learned"])
def test_the_second_stage_never_tokenises_a_candidate_that_has_stored_terms(edge_store, second_stage):
    _index(edge_store, TEXTS)
    tokenizer = StrictTokenizer(forbidden=TEXTS)  # only the query may be tokenised
    reranker = (FeatureReranker(tokenizer) if second_stage == "feature"
                else LearnedReranker(tokenizer, SecondStageWeights.load()))
    retriever = HybridRetriever(edge_store, HashEmbedder(), tokenizer, reranker)
    hits = retriever.search(QUERY, ChunkFilter(kb_ids=["kb"]), 5, RetrievalMode.HYBRID_RERANK)
    assert len(hits) == 5 and all(h.scores.rerank is not None for h in hits)
    assert set(tokenizer.texts) <= {QUERY}


def test_a_store_written_before_the_terms_still_searches_and_ranks_the_same(tmp_path, edge_store):
    # the same chunks written as an older indexer did: no terms in the payload
    sparse = JiebaBm25Encoder()
    old = EdgeVectorStore(tmp_path / "old")
    old.ensure_collection(DIM, HashEmbedder.model_id)
    embedder = HashEmbedder()
    chunks = _chunks(TEXTS)
    old.upsert([IndexPoint(f"00000000-0000-4000-8000-{i:012d}", embedder.embed_passages([c.embedding_text])[0],
                           sparse.encode_document(c.embedding_text), {**Indexer._payload(
                               DocumentRef("kb", "doc", "v1", "doc.docx", "docx", ["*"]), c)})
                for i, c in enumerate(chunks)])
    _index(edge_store, TEXTS)
    try:
        rankings = {}
        for name, store in (("old", old), ("new", edge_store)):
            tokenizer = StrictTokenizer()
            retriever = HybridRetriever(store, embedder, tokenizer, FeatureReranker(tokenizer))
            hits = retriever.search(QUERY, ChunkFilter(kb_ids=["kb"]), 5, RetrievalMode.HYBRID_RERANK)
            rankings[name] = [(h.text, round(h.score, 6)) for h in hits]
            tokenised = set(tokenizer.texts) - {QUERY}
            # the old store's candidates are tokenised (the fallback; an English passage is not compared with a
            # Chinese query lexically); the new store's never
            assert tokenised == ({h.text for h in hits} - {TEXTS[4]} if name == "old" else set())
        assert rankings["old"] == rankings["new"]
    finally:
        old.close()


def test_terms_of_another_tokenizer_are_not_used():
    stored = StoredTerms("首趟 rcep 班列", "another-tokenizer/9")
    assert stored.for_tokenizer(JiebaBm25Encoder()) is None
    assert StoredTerms.of({"text": "x"}) is None
    assert StoredTerms("", TERMS_ID).for_tokenizer(JiebaBm25Encoder()) == []


def test_the_qdrant_client_store_keeps_the_terms_too(tmp_path):
    from zhiku.index.qdrant_client_store import QdrantClientVectorStore

    store = QdrantClientVectorStore.for_local_path(str(tmp_path / "local"), "chunks")
    store.ensure_collection(DIM, HashEmbedder.model_id)
    try:
        _index(store, TEXTS[:2])
        payloads = [p.payload for p in store.fetch(ChunkFilter(kb_ids=["kb"]), 10)]
        assert {p[TERMS_BY_FIELD] for p in payloads} == {TERMS_ID}
        assert json.dumps(payloads, ensure_ascii=False).count(TERMS_FIELD) >= 2
    finally:
        store.close()
