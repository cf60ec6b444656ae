"""Whisper's known failure modes on audio it cannot make out: it repeats its prompt, or loops on one token
("5,5,5,5…", "星星星星…"). Neither is speech; indexing it would only add noise. Applied to every engine's
segments (ingest/speech/recording_transcript.py)."""
from __future__ import annotations

import re
import zlib

from zhiku.ingest.speech.chinese_script import SIMPLIFIED_PROMPT

# Ordinary text compresses about 1.5–2.5×; a token loop far more.
_LOOP_COMPRESSION_RATIO = 4.0


def is_hallucination(text: str) -> bool:
    if text.strip("。. ") == SIMPLIFIED_PROMPT.strip("。"):
        return True
    if "\ufffd" in text:  # a character cut between byte tokens: the decoder was babbling, not transcribing
        return True
    letters = [char for char in text if char.isalnum()]
    if len(letters) >= 8 and len(set(letters)) / len(letters) < 0.4:  # "我认论认论论认认论": a loop kept varied
        return True
    data = text.encode("utf-8")
    return len(data) > 60 and len(data) / len(zlib.compress(data)) > _LOOP_COMPRESSION_RATIO


# One CJK character three or more times in a row: in Chinese speech this is a decoding loop ("工厂厂厂厂厂厂"),
# not language (reduplication doubles: 看看, 谢谢).
_CHARACTER_LOOP = re.compile(r"([\u3400-\u9fff])\1{2,}")


def collapse_character_loops(text: str) -> str:
    """The text with each run of one repeated CJK character cut back to that character."""
    return _CHARACTER_LOOP.sub(r"\1", text)
