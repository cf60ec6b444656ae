"""On-screen text across sampled video frames: the same caption or slide seen in many frames is kept once,
with the time range during which it was visible."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from zhiku.core.types import BBox, Block, BlockKind

_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)
_SAME_TEXT = 0.85  # OCR of the same caption differs by a character or two from frame to frame


@dataclass(slots=True)
class _Sighting:
    key: str
    text: str
    kind: BlockKind
    bbox: BBox
    first_s: float
    last_s: float


class ScreenTextTracker:
    """Feed frames in time order; `blocks()` returns each distinct text once, ordered by first appearance."""

    def __init__(self, interval_s: float):
        self._interval_s = interval_s
        self._visible: list[_Sighting] = []  # seen in the latest frame
        self._finished: list[_Sighting] = []

    def add_frame(self, time_s: float, texts: list[tuple[str, BlockKind, BBox]]) -> None:
        still_visible: list[_Sighting] = []
        unmatched = list(self._visible)
        for text, kind, bbox in texts:
            key = _NOT_TEXT.sub("", text).lower()
            if not key:
                continue
            match = next((s for s in unmatched if _similar(s.key, key)), None)
            if match is not None:
                unmatched.remove(match)
                match.last_s = time_s
                if len(key) > len(match.key):  # keep the most complete reading
                    match.key, match.text = key, text
                still_visible.append(match)
            elif not any(_similar(s.key, key) for s in still_visible):
                still_visible.append(_Sighting(key, text, kind, bbox, time_s, time_s))
        self._finished.extend(unmatched)
        self._visible = still_visible

    def blocks(self, heading_path: list[str]) -> list[Block]:
        sightings = sorted(self._finished + self._visible, key=lambda s: (s.first_s, s.bbox[1], s.bbox[0]))
        return [
            Block(text=s.text, kind=s.kind, heading_path=list(heading_path), bbox=s.bbox,
                  start_s=round(s.first_s, 2), end_s=round(s.last_s + self._interval_s, 2))
            for s in sightings
        ]


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= _SAME_TEXT
