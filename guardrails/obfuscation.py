"""Undoing the disguises an instruction hidden in text wears, so the injection detector reads what a model would:
full-width letters (NFKC), zero-width and other invisible format characters, look-alike letters from other
scripts (Cyrillic "іgnоrе"), letters spaced or hyphenated apart ("I-g-n-o-r-e", "忽 略 以 上"), Traditional
characters (read as Simplified, "忽略系統提示" as "忽略系统提示"), and payloads a
model can decode on request (base64, rot13).

`readings(text)` gives the normalised text first, then each decoded reading; a reading is only worth checking
with the detector, never shown to anyone.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from functools import lru_cache

# Letters of other scripts drawn like Latin ones (the usual homoglyph-attack alphabet), folded after NFKC.
_HOMOGLYPHS = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ɩ": "i",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
    "І": "I", "Ј": "J", "Ѕ": "S", "α": "a", "ο": "o", "ν": "v", "ι": "i", "κ": "k", "ρ": "p", "τ": "t", "υ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Υ": "Y", "Χ": "X", "ı": "i", "ℓ": "l",
})
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Single letters separated by one space, dot, hyphen, underscore or asterisk, at least four in a row:
# "i g n o r e", "I-g-n-o-r-e". Ordinary prose has no such runs ("a I" is two at most).
_SPACED_LATIN = re.compile(r"(?<![A-Za-z])(?:[A-Za-z][ .\-_*]){3,}[A-Za-z](?![A-Za-z])")
# A space between two Chinese characters carries nothing (Chinese is written without spaces), so it is dropped.
_SPACED_CJK = re.compile(rf"(?<=[{_CJK}])[ \u3000]+(?=[{_CJK}，,])|(?<=[，,])[ \u3000]+(?=[{_CJK}])")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")


def normalise(text: str) -> str:
    """`text` as a model reads it: NFKC, format characters (zero-width, bidi controls) dropped, look-alike letters
    folded to Latin, spaced-out letters joined."""
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf").translate(_HOMOGLYPHS)
    folded = _SPACED_LATIN.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), folded)
    folded = _SPACED_CJK.sub("", folded)
    return _simplified(folded) if _HAS_CJK.search(folded) else folded


_HAS_CJK = re.compile(f"[{_CJK}]")


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # a dependency of the package (pyproject.toml); loaded on the first Chinese text

    return opencc.OpenCC("t2s").convert


def _simplified(text: str) -> str:
    """Traditional characters read as Simplified (OpenCC t2s, character for character): a model reads "系統提示詞"
    as it reads "系统提示词", and the detectors' Chinese word lists are written in Simplified. About 1 ms for a
    4,000-character page."""
    return _t2s()(text)


def readings(text: str) -> list[str]:
    """The normalised text, then what its base64 runs decode to (when that is readable text) and its rot13
    reading (when the text has enough Latin letters for rot13 to hide words in)."""
    normal = normalise(text)
    found = [normal]
    for run in _BASE64.findall(normal):
        decoded = _decoded_base64(run)
        if decoded:
            found.append(normalise(decoded))
    if len(re.findall(r"[A-Za-z]", normal)) >= 12:
        found.append(codecs.encode(normal, "rot13"))
    return found


def _decoded_base64(run: str) -> str | None:
    try:
        raw = base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    printable = sum(1 for ch in decoded if ch.isprintable() or ch.isspace())
    return decoded if decoded and printable / len(decoded) > 0.95 else None
