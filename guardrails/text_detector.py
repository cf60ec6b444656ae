"""The whole-text stage of the injection detector: one small model over what the other stages see of a text —
a logistic regression, or since session 27 a one-hidden-layer network (guardrails/text_mlp.py), whichever
leave-one-set-out chose — fitted on the labelled sets of many annotators (guardrails/text_training.py; weights in
guardrails/data/injection_text.json).

Its features, for a text already read as a model reads it (obfuscation.readings, quoted examples as "…"):

- the multilingual-e5-small passage embedding of the whole text: as the weights say (`full_text`), either of the
  normalised text (`"normalised"`, the weights before session 29) or of the text as written, which is what the
  vector index embeds for a chunk (`"indexed"`, since session 29): at ingestion the stage then reads the chunk's
  own vector (ingest/pipeline.py, through the index's caching embedder) and the model is not run again for it;
- the element-wise maximum of the embeddings of its sentences, over every reading (the decoded base64 and rot13
  ones too): "max" pools every sentence of at least three words or five Chinese characters, "maxaddr" only those
  that name or speak to a reader — leave-one-set-out preferred "maxaddr" (the shipped weights use it);
- hashed n-grams of the normalised text (the n-gram classifier's features, guardrails/injection_classifier.py,
  into a fixed number of buckets, divided by √n);
- the structural reading's probability and whether its window is countered, the n-gram classifier's probability.

Why one model over all of them: the stages fitted on one annotator's sets scored about 1.0 there and 0.6-0.7
recall on the next annotator's; the choice of features, regularisation and threshold here is made by
leave-one-set-out over six independent annotators' sets C–H (docs/benchmarks.md), which is the estimate of how it
carries to a seventh.
"""
from __future__ import annotations

import codecs
import json
import math
import re
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from zhiku.guardrails.embedding_detector import addressed, sentences, suspicious
from zhiku.guardrails.injection_classifier import features as ngram_features

WEIGHTS = Path(__file__).resolve().parent / "data" / "injection_text.json"
DIMENSION = 384
# the characters of the text the whole-text embedding reads where no chunk vector is given (e5 reads 512 tokens; a
# chunk is shorter)
FULL_CHARS = 1500
# what the whole-text embedding reads: the normalised text (obfuscation.readings, quoted examples as "…"), or the
# text as written, as the vector index embeds a chunk (Chunk.embedding_text), so ingestion reuses the chunk's vector
FULL_TEXTS = ("normalised", "indexed")
MAX_SENTENCES = 32
_COMMON = re.compile(r"\b(?:the|and|you|your|to|of|is|are|all|this|that|with|for|ignore|instructions?)\b", re.IGNORECASE)


def worth_reading(readings: list[str]) -> list[str]:
    """The readings whose sentences are embedded: the normal one, the decoded base64 runs, and the rot13 reading
    (obfuscation.readings puts it last) only when it reads as English more than the text itself does — otherwise
    every English page would cost twice its sentences for a reading that is noise."""
    if len(readings) > 1 and readings[-1] == codecs.encode(readings[0], "rot13"):
        if len(_COMMON.findall(readings[-1])) <= len(_COMMON.findall(readings[0])):
            return readings[:-1]
    return readings


def text_sentences(readings: list[str]) -> list[str]:
    """The sentences of every reading worth reading, each once, at most MAX_SENTENCES (a very long page is read by
    its first sentences and, through the whole-text embedding and the structural reading, as a whole)."""
    found: list[str] = []
    seen: set[str] = set()
    for reading in worth_reading(readings):
        for sentence in sentences(reading):
            if sentence not in seen:
                seen.add(sentence)
                found.append(sentence)
    return found[:MAX_SENTENCES]


def hashed_ngrams(text: str, buckets: int) -> np.ndarray:
    grams = ngram_features(text[:4 * FULL_CHARS])
    row = np.zeros(buckets, dtype=np.float32)
    if not grams:
        return row
    for gram in grams:
        row[zlib.crc32(gram.encode("utf-8")) % buckets] += 1.0
    return row / math.sqrt(len(grams))


def addressed_sentences(found: list[str]) -> list[str]:
    """The sentences that name or speak to a reader and carry a directive (the embedding stage's gate,
    guardrails/embedding_detector.py): the "maxaddr" block pools only these. Leave-one-set-out preferred them to
    all sentences (docs/benchmarks.md): pooled over every sentence, a long passage's ordinary sentences blur the
    one that speaks to the machine."""
    return [s for s in found if suspicious(s) and addressed(s)]


def feature_row(full_vector: np.ndarray, sentence_vectors: np.ndarray, normal: str, scalars: list[float],
                blocks: tuple[str, ...], buckets: int) -> np.ndarray:
    """The features of one text in the order the weights are stored: blocks among "full", "max" (`sentence_vectors`
    are all sentences'), "maxaddr" (they are the addressed sentences'; none: zeros), "ngram", "scalars"."""
    parts = []
    if "full" in blocks:
        parts.append(full_vector)
    if "max" in blocks:
        parts.append(sentence_vectors.max(axis=0) if len(sentence_vectors) else full_vector)
    if "maxaddr" in blocks:
        parts.append(sentence_vectors.max(axis=0) if len(sentence_vectors) else np.zeros(DIMENSION, dtype=np.float32))
    if "ngram" in blocks:
        parts.append(hashed_ngrams(normal, buckets))
    if "scalars" in blocks:
        parts.append(np.asarray(scalars, dtype=np.float32))
    return np.concatenate(parts).astype(np.float32)


class TextStage:
    def __init__(self, weights: np.ndarray, bias: float, threshold: float, blocks: tuple[str, ...], buckets: int,
                 structure_gate: float, hidden: tuple[np.ndarray, np.ndarray] | None = None,
                 demoted_rules: frozenset[str] = frozenset(), full_text: str = "normalised"):
        self.weights = weights
        self.bias = bias
        # a one-hidden-layer network (guardrails/text_mlp.py; the input standardisation folded into the first
        # layer): tanh(row @ W1 + b1) feeds `weights`; None: a logistic regression over the row itself
        self.hidden = hidden
        self.threshold = threshold
        self.blocks = blocks
        self.buckets = buckets
        # below this structural probability the stage is not asked (its cost is an embedding per sentence)
        self.structure_gate = structure_gate
        # cue rules (injection._ALONE reasons and the combined ones) that do not flag on their own: their texts are
        # read by this stage whatever the gate (chosen by leave-one-set-out, guardrails/stage_loso.py)
        self.demoted_rules = demoted_rules
        if full_text not in FULL_TEXTS:
            raise ValueError(f"full_text must be one of {FULL_TEXTS}, not {full_text!r}: refit the stage "
                             "(guardrails/stage_loso.py --write)")
        # FULL_TEXTS: "indexed" reads the text as written (at ingestion: its chunks' vectors), "normalised" the reading
        self.full_text = full_text

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> "TextStage":
        data = json.loads(path.read_text(encoding="utf-8"))
        hidden = data.get("hidden")
        return cls(np.array(data["weights"], dtype=np.float32), data["bias"], data["threshold"],
                   tuple(data["blocks"]), data["buckets"], data["structure_gate"],
                   None if hidden is None else (np.array(hidden["weights"], dtype=np.float32),
                                                np.array(hidden["bias"], dtype=np.float32)),
                   frozenset(data.get("demoted_rules", ())), data.get("full_text", "normalised"))

    def needs_embeddings(self) -> bool:
        return bool({"full", "max", "maxaddr"} & set(self.blocks))

    def whole_text(self, raw: str, normal: str) -> str:
        """The string whose passage vector is the "full" block for a text read without its chunks' vectors (a
        question, a labelled case): `raw` as written or its normalised reading `normal`, cut at FULL_CHARS."""
        return (raw if self.full_text == "indexed" else normal)[:FULL_CHARS]

    def pooled_sentences(self, found: list[str]) -> list[str]:
        """Of a text's sentences (text_sentences), those whose vectors are max-pooled."""
        return addressed_sentences(found) if "maxaddr" in self.blocks else found if "max" in self.blocks else []

    def probability(self, row: np.ndarray) -> float:
        if self.hidden is not None:
            row = np.tanh(row @ self.hidden[0] + self.hidden[1])
        score = float(row @ self.weights + self.bias)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))


@lru_cache(maxsize=1)
def shipped_text_stage() -> TextStage | None:
    """The fitted stage, or None when the package has no weights or ZHIKU_INJECTION_TEXT_STAGE is off."""
    from zhiku.core.settings import get_settings

    if not get_settings().injection_text_stage:
        return None
    return TextStage.load() if WEIGHTS.exists() else None
