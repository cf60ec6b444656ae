"""The multi-sample consistency check (the bank's risk controls): keep only the claims several samples agree on.

A model that knows the answer from the evidence says the same thing when asked again with some randomness; a
claim it makes up, or a figure it copies from the wrong passage, tends to change from sample to sample. With
`ZHIKU_ANSWER_CONSISTENCY_SAMPLES` = n > 1, the answer (temperature 0) is compared with n − 1 further samples
(`ZHIKU_ANSWER_CONSISTENCY_TEMPERATURE`): a sentence is kept when at least half of the other samples agree with
it — every number it states appears in the sample, and the sample covers at least `min_overlap` of its content
terms. A sample that refuses (NOT_FOUND) agrees with nothing. The cost is n − 1 extra generations before the
first sentence is shown (measured in docs/benchmarks.md).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from zhiku.index.sparse_encoder import SparseEncoder

_NUMBER = re.compile(r"\d+(?:[,，]\d{3})*(?:\.\d+)?")
_CITATION = re.compile(r"\[\d{1,3}\]")


@dataclass(slots=True)
class ConsistencyCheck:
    tokenizer: SparseEncoder
    samples: int = 3
    temperature: float = 0.7
    min_overlap: float = 0.34

    def agreed(self, sentence: str, others: list[str]) -> bool:
        """At least half of the other samples state this sentence's numbers and most of its terms."""
        if not others:
            return True
        needed = math.ceil(len(others) / 2)
        return sum(self._agrees(sentence, other) for other in others) >= needed

    def _agrees(self, sentence: str, other: str) -> bool:
        other = _CITATION.sub("", other)
        if not other.strip() or other.strip().upper().replace(" ", "_").startswith("NOT_FOUND"):
            return False
        plain_other = other.replace(",", "").replace("，", "")
        numbers = [n.replace(",", "").replace("，", "") for n in _NUMBER.findall(_CITATION.sub("", sentence))]
        if any(n not in plain_other for n in numbers):
            return False
        terms = set(self.tokenizer.tokenize(_CITATION.sub("", sentence)))
        if not terms:
            return True
        found = set(self.tokenizer.tokenize(other))
        return len(terms & found) / len(terms) >= self.min_overlap
