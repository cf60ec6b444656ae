"""Whisper writes Chinese in traditional characters about as often as in simplified; banks here read simplified."""
from __future__ import annotations

import functools


@functools.cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _converter().convert(text)


# Whisper follows the script of its prompt: a simplified-Chinese prompt steers it to simplified output.
SIMPLIFIED_PROMPT = "以下是普通话的句子。"
