"""Whisper's known failure modes on audio it cannot make out: it repeats its prompt, or loops on one token
("5,5,5,5…", "星星星星…"). Neither is speech; indexing it would only add noise. Applied to every engine's
segments (ingest/speech/recording_transcript.py)."""
from __future__ import annotations

import zlib

from zhiku.ingest.speech.chinese_script import SIMPLIFIED_PROMPT

# Ordinary text compresses about 1.5–2.5×; a token loop far more.
_LOOP_COMPRESSION_RATIO = 4.0


def is_hallucination(text: str) -> bool:
    if text.strip("。. ") == SIMPLIFIED_PROMPT.strip("。"):
        return True
    data = text.encode("utf-8")
    return len(data) > 60 and len(data) / len(zlib.compress(data)) > _LOOP_COMPRESSION_RATIO
