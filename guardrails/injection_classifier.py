"""A small learned second opinion for the injection detector: logistic regression over character and word
n-grams of each sentence, its weights shipped as package data (guardrails/data/injection_classifier.json).

It is fitted by `python -m zhiku.guardrails.injection_training` on texts generated from templates
(guardrails/injection_training.py), never on the labelled sets in guardrails/data/ that measure the detector;
the threshold is chosen on the development set. The rules (guardrails/injection.py) say why a text is flagged;
this model catches phrasings the rules have no cue for, and is read only sentence by sentence, so a long passage
is as likely to be flagged as its most suspicious sentence.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from zhiku.guardrails.feature_logistic import FeatureLogistic

WEIGHTS = Path(__file__).resolve().parent / "data" / "injection_classifier.json"

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z][a-z']*")
_SENTENCES = re.compile(r"[^。！？!?\n;；]+[。！？!?\n;；]?")


def features(sentence: str) -> set[str]:
    """The n-grams of a normalised sentence: Chinese character 1–3-grams, English words, word pairs and the
    3- and 4-letter pieces of words (so "ignoring" shares with "ignore")."""
    text = sentence.lower()
    found: set[str] = set()
    for run in _CJK_RUN.findall(text):
        for n in (1, 2, 3):
            found.update("c:" + run[i:i + n] for i in range(len(run) - n + 1))
    words = _WORD.findall(text)
    found.update("w:" + word for word in words)
    found.update(f"b:{a} {b}" for a, b in zip(words, words[1:]))
    for word in words:
        padded = f" {word} "
        for n in (3, 4):
            found.update("g:" + padded[i:i + n] for i in range(len(padded) - n + 1))
    return found


class InjectionClassifier(FeatureLogistic):
    @classmethod
    def load(cls, path: Path = WEIGHTS) -> "InjectionClassifier":
        return cls.from_file(path)

    def sentence_probability(self, sentence: str) -> float:
        grams = features(sentence)
        if not grams:
            return 0.0
        # divided by √n so a long sentence's many n-grams do not outvote a short one's
        return self.probability_of(grams, math.sqrt(len(grams)))

    def most_suspicious(self, text: str) -> tuple[float, str]:
        """The highest sentence probability in `text` (already normalised) and that sentence."""
        best = (0.0, "")
        for sentence in _sentences(text):
            probability = self.sentence_probability(sentence)
            if probability > best[0]:
                best = (probability, sentence)
        return best


def _sentences(text: str) -> Iterable[str]:
    for sentence in _SENTENCES.findall(text):
        # fragments ("and 2017.", "第三条") carry no intent: a sentence needs four words or six Chinese characters
        if len(_WORD.findall(sentence.lower())) >= 4 or sum(len(run) for run in _CJK_RUN.findall(sentence)) >= 6:
            yield sentence.strip()


@lru_cache(maxsize=1)
def shipped_classifier() -> InjectionClassifier | None:
    """The fitted classifier, or None when the package has no weights (the rules work alone then)."""
    return InjectionClassifier.load() if WEIGHTS.exists() else None
