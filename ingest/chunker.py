"""Structure-aware chunking: sections by heading, table rows whole, sentences whole, parent/child.

Parents are packed from a section's units up to `parent_chunk_size`; children are packed inside each
parent up to `chunk_size`, consecutive children sharing up to `chunk_overlap` characters of whole
sentences. Children are what the index matches; the parent is what a reader gets as context.
"""
from __future__ import annotations

from dataclasses import dataclass

from zhiku.core.types import Block, BlockKind, Chunk, ParsedDocument
from zhiku.core.sentences import hard_split, sentence_spans

BLOCK_SEPARATOR = "\n"


def canonical_text(blocks: list[Block]) -> str:
    """The document text every chunk's character span points into."""
    return BLOCK_SEPARATOR.join(b.text for b in blocks)


@dataclass(slots=True)
class _Unit:
    """An unsplittable piece: one sentence, one table row, one list item, or one piece of a long sentence."""

    start: int
    end: int
    block: Block

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class ChunkingConfig:
    chunk_size: int = 512
    chunk_overlap: int = 64
    parent_chunk_size: int = 2048

    def __post_init__(self) -> None:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        if self.parent_chunk_size < self.chunk_size:
            raise ValueError("parent_chunk_size must be at least chunk_size")


class StructuredChunker:
    def __init__(self, config: ChunkingConfig | None = None):
        self.config = config or ChunkingConfig()

    def chunk(self, document: ParsedDocument) -> list[Chunk]:
        text = canonical_text(document.blocks)
        chunks: list[Chunk] = []
        parent_index = 0
        for heading_path, units in self._sections(document.blocks, text):
            for parent_units in self._pack(units, self.config.parent_chunk_size, overlap=0):
                parent_id = f"p{parent_index}"
                parent_index += 1
                parent_text = text[parent_units[0].start:parent_units[-1].end]
                for child_units in self._pack(parent_units, self.config.chunk_size, self.config.chunk_overlap,
                                              split_pages=True):
                    chunks.append(self._make_chunk(text, child_units, heading_path, len(chunks),
                                                   parent_id, parent_text))
        return chunks

    # -- sections and units ------------------------------------------------------------------
    def _sections(self, blocks: list[Block], text: str) -> list[tuple[list[str], list[_Unit]]]:
        sections: list[tuple[list[str], list[_Unit]]] = []
        offset = 0
        current_path: list[str] | None = None
        for block in blocks:
            start, end = offset, offset + len(block.text)
            offset = end + len(BLOCK_SEPARATOR)
            if block.kind is BlockKind.HEADING:
                continue  # the heading travels in heading_path; repeating it in the body adds nothing
            if current_path != block.heading_path:
                current_path = list(block.heading_path)
                sections.append((current_path, []))
            sections[-1][1].extend(self._units(block, text, start, end))
        return [(path, units) for path, units in sections if units]

    def _units(self, block: Block, text: str, start: int, end: int) -> list[_Unit]:
        if block.kind in (BlockKind.TABLE_ROW, BlockKind.CODE) or (
            block.kind is BlockKind.LIST_ITEM and end - start <= self.config.chunk_size
        ):
            return [_Unit(start, end, block)] if text[start:end].strip() else []
        units = []
        for s, e in sentence_spans(text, start, end):
            if e - s > self.config.chunk_size:
                units.extend(_Unit(ps, pe, block) for ps, pe in hard_split(text, s, e, self.config.chunk_size))
            else:
                units.append(_Unit(s, e, block))
        return units

    # -- packing -----------------------------------------------------------------------------
    @staticmethod
    def _pack(units: list[_Unit], size: int, overlap: int, split_pages: bool = False) -> list[list[_Unit]]:
        """Greedy packing by span length; the next group restarts with trailing whole units ≤ overlap.

        With `split_pages`, a group never spans two pages, so a child chunk's page and box are exact.
        """
        groups: list[list[_Unit]] = []
        current: list[_Unit] = []
        fresh = 0  # units in `current` not carried over from the previous group
        for unit in units:
            if current and split_pages and unit.block.page != current[-1].block.page:
                if fresh:
                    groups.append(current)
                current, fresh = [], 0
            if current and fresh and unit.end - current[0].start > size:
                groups.append(current)
                carried: list[_Unit] = []
                for prev in reversed(current):
                    if unit.end - prev.start > size or current[-1].end - prev.start > overlap:
                        break
                    carried.insert(0, prev)
                current, fresh = carried, 0
            current.append(unit)
            fresh += 1
        if current and fresh:
            groups.append(current)
        return groups

    @staticmethod
    def _make_chunk(text: str, units: list[_Unit], heading_path: list[str], index: int,
                    parent_id: str, parent_text: str) -> Chunk:
        pages = [u.block.page for u in units if u.block.page is not None]
        first_page = pages[0] if pages else None
        boxes = [u.block.bbox for u in units if u.block.bbox is not None and u.block.page == first_page]
        bbox = None
        if boxes:
            bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                    max(b[2] for b in boxes), max(b[3] for b in boxes))
        starts = [u.block.start_s for u in units if u.block.start_s is not None]
        ends = [u.block.end_s for u in units if u.block.end_s is not None]
        start, end = units[0].start, units[-1].end
        time_spans: list[tuple[int, int, float, float]] = []
        for unit in units:
            if unit.block.start_s is None:
                continue
            times = (unit.block.start_s, unit.block.end_s if unit.block.end_s is not None else unit.block.start_s)
            if time_spans and time_spans[-1][2:] == times:  # another sentence of the same timed block
                time_spans[-1] = (time_spans[-1][0], unit.end - start, *times)
            else:
                time_spans.append((unit.start - start, unit.end - start, *times))
        return Chunk(
            chunk_id=f"c{index}",
            text=text[start:end],
            index=index,
            page=first_page,
            page_end=pages[-1] if pages else None,
            heading_path=list(heading_path),
            char_start=start,
            char_end=end,
            parent_id=parent_id,
            parent_text=parent_text,
            bbox=bbox,
            start_s=min(starts) if starts else None,
            end_s=max(ends) if ends else None,
            time_spans=time_spans,
        )
