"""Whisper writes Chinese in traditional characters about as often as in simplified; banks here read simplified."""
from __future__ import annotations

import functools
import re

# Whisper often punctuates Chinese with ASCII marks; after a Chinese character they should be full-width.
_ASCII_AFTER_HAN = re.compile(r"(?<=[\u3400-\u9fff])([,?!;:])")
_FULL_WIDTH = str.maketrans({",": "，", "?": "？", "!": "！", ";": "；", ":": "："})


@functools.cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    simplified = _converter().convert(text)
    return _ASCII_AFTER_HAN.sub(lambda match: match.group(1).translate(_FULL_WIDTH), simplified)


# Whisper follows the script of its prompt: a simplified-Chinese prompt steers it to simplified output.
SIMPLIFIED_PROMPT = "以下是普通话的句子。"
