"""A question in one language finds the passage written in the other through the bank synonym list's translations:
BM25 is blind across scripts, and the small multilingual dense model is weak there."""
from __future__ import annotations

import pytest

from zhiku.index.edge_store import EdgeVectorStore
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.index.vector_store import ChunkFilter
from zhiku.retrieval.fusion import weighted_score_fusion
from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalMode
from zhiku.retrieval.term_normaliser import default_normaliser
from tests.test_chunk_terms import DIM, HashEmbedder, _index

POLICY_EN = "Accounts are locked for 30 minutes after 5 consecutive failed login attempts with a wrong password."
TEXTS = [POLICY_EN, "信用卡年费首年免收，当年刷卡满6次免次年年费。", "个人住房贷款期限最长不超过30年。",
         "保管箱小号年租金300元，另收押金1000元。", "理财产品风险等级为R2，适合稳健型投资者。"]


def test_translations_are_the_listed_terms_of_the_other_script():
    normaliser = default_normaliser()
    assert {"password", "locked"} <= set(normaliser.translations("账户连续输错几次密码会被锁定？"))
    assert {"密码", "锁定"} <= set(normaliser.translations("How many wrong password attempts before it is locked?"))
    assert not {"口令", "冻结"} & set(normaliser.translations("密码被锁定"))  # the same script adds nothing
    assert normaliser.translations("今天天气很好") == []


def test_a_chinese_question_finds_the_english_policy_lexically(tmp_path):
    store = EdgeVectorStore(tmp_path / "chunks")
    store.ensure_collection(DIM, HashEmbedder.model_id)
    try:
        _index(store, TEXTS)
        retriever = HybridRetriever(store, HashEmbedder(), JiebaBm25Encoder(), None)
        where = ChunkFilter(kb_ids=["kb"])
        sparse = retriever.search("账户连续输错几次密码会被锁定？", where, 3, RetrievalMode.SPARSE)
        assert sparse and sparse[0].text == POLICY_EN
        hybrid = retriever.search("账户连续输错几次密码会被锁定？", where, 3, RetrievalMode.HYBRID)
        assert hybrid[0].text == POLICY_EN  # its lexical match stands in for the dense model's weak score
        # a question with no listed term is not changed: the English passage stays blind to BM25
        assert all(h.text != POLICY_EN for h in retriever.search("几次会被冻住", where, 3, RetrievalMode.SPARSE))
    finally:
        store.close()


def test_fusion_lets_a_translated_match_stand_in_for_a_weak_dense_score():
    from zhiku.index.vector_store import ScoredChunk

    dense = [ScoredChunk("zh-a", 0.9, {}), ScoredChunk("zh-b", 0.8, {}), ScoredChunk("en", 0.5, {})]
    sparse = [ScoredChunk("en", 12.0, {}), ScoredChunk("zh-a", 3.0, {})]
    plain = weighted_score_fusion(dense, sparse, 0.6, lexically_blind={"en"})
    assert max(plain, key=plain.get) == "zh-a" and plain["en"] == pytest.approx(0.0)
    translated = weighted_score_fusion(dense, sparse, 0.6, translated={"en"})
    assert translated["en"] == pytest.approx(1.0) and max(translated, key=translated.get) == "en"
