"""Spoken-language codes, checked the same way at every entry (upload field, knowledge base, CLI, settings,
evaluation manifests) before one reaches the speech engine, which fails on a code it does not know.

A code is an ISO 639-1 (or Whisper's own, e.g. `yue`, `haw`) code, optionally with a region (`zh-CN` is `zh`).
Code-switched speech has its own codes: `zh-en` (Mandarin with English words, common in bank meetings) is
transcribed in Chinese mode, which keeps the English words as English; Whisper has no mixed mode.
"""
from __future__ import annotations

from zhiku.core.errors import InvalidInput

# The languages Whisper (faster-whisper's tokenizer) transcribes.
SPEECH_LANGUAGES = frozenset(
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he hi hr ht hu hy "
    "id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl nn no oc pa pl ps pt ro ru "
    "sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz vi yi yo yue zh".split())

# Code-switched speech → the mode it is transcribed in.
CODE_SWITCHED = {"zh-en": "zh", "en-zh": "zh"}

# Region and script subtags that still name the same spoken language to Whisper.
_ALIASES = {"iw": "he", "jv": "jw", "nb": "no", "cmn": "zh", "chi": "zh", "zho": "zh", "eng": "en"}


def spoken_language(value: str | None) -> str | None:
    """The code to transcribe `value` as, or None for "detect it". Raises InvalidInput, saying what is
    accepted, for anything the speech engine would not know."""
    if value is None or not str(value).strip():
        return None
    code = str(value).strip().lower().replace("_", "-")
    if code in CODE_SWITCHED:
        return CODE_SWITCHED[code]
    base = code.split("-")[0]
    base = _ALIASES.get(base, base)
    if base not in SPEECH_LANGUAGES:
        raise InvalidInput(f"language {value!r} is not a spoken-language code the speech engine knows; use e.g. "
                           "zh, en, yue, zh-en (code-switched Chinese and English), or leave it empty to detect "
                           "the language")
    return base


def is_chinese(code: str | None) -> bool:
    """Scored and post-processed as Chinese (characters, simplified script): zh, yue and code-switched zh-en."""
    if not code:
        return False
    code = code.strip().lower().replace("_", "-")
    return code in CODE_SWITCHED or code.split("-")[0] in ("zh", "yue", "cmn")
