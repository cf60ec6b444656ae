"""The graph gate: does a graph chunk add evidence the hits the reader is shown lack?

The gates `evidence` and `hop` (`GraphRetrievalConfig.gate`) judge a graph chunk against what the first stage
already gives the reader: the hits shown (the caller's `top_k`, at most the ranking of ten the placement was measured
on), not the first ten whatever the caller shows — a fact at rank eight of the first stage is not in a list of five.

A graph chunk adds nothing when the passage it belongs to is already shown: a hit shown carries its parent passage
(`parent_text`, the section the chunker packed it in), so another chunk of that passage gives the reader nothing new.
The unit is the passage, not the document: a document of several sections can have its header shown while the
section that states the second hop's fact is not (the demo's guarantor check: its number line was shown, its risk
section was not). In the evaluation sets a passage is a document of one section (up to the parent size), so there
the two are the same.

Under 'path' a graph chunk that adds evidence (as under 'hop') need not be more similar to the question than the hit
it pushes out of the ten when that hit is unconnected to the question by the graph (`unconnected`): a second hop's
passage is about the bridge entity, not the question's, so its similarity to the question is low by nature, and the
similarity gap judged it against whatever the first stage happened to rank tenth.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from zhiku.retrieval.graph_expansion import GraphEvidence
from zhiku.retrieval.search_hit import SearchHit


def passage_of(payload: dict, chunk_id: str) -> str:
    """The passage a chunk is shown with: its parent (the indexer's `parent_id`); a payload without one stands for
    its whole document."""
    return payload.get("parent_id") or payload.get("document_id") or chunk_id


@dataclass(frozen=True, slots=True)
class ShownHits:
    """What the first stage gives the reader: the shown hits' ids, their texts (lower-cased) and their passages."""
    ids: frozenset[str]
    text: str
    passages: frozenset[str]

    @classmethod
    def of(cls, hits: Sequence[SearchHit]) -> "ShownHits":
        return cls(frozenset(h.chunk_id for h in hits), " ".join(h.text for h in hits).casefold(),
                   frozenset(passage_of(h.payload, h.chunk_id) for h in hits))


def adds_evidence(gate: str, evidence: GraphEvidence, chunk_id: str, payload: dict, shown: ShownHits,
                  query: str = "") -> bool | None:
    """True: the chunk adds what the shown hits lack (it may take a hit's place within the configured gap); False:
    it adds nothing new ('novel' and 'evidence' may still let it in at `plain_gap`); None: never (under 'evidence',
    'hop' and 'path', its passage is already shown). `query` lower-cased."""
    if gate in ("evidence", "hop", "path") and passage_of(payload, chunk_id) in shown.passages:
        return None
    if evidence.novel(chunk_id, shown.text):
        return True
    if gate == "evidence":
        return evidence.completes_hop(chunk_id, shown.text, query)
    if gate in ("hop", "path"):
        return evidence.continues_top_hit(chunk_id, set(shown.ids), shown.text, query)
    return False


def unconnected(hit: SearchHit, evidence: GraphEvidence, bridges: set[str]) -> bool:
    """Is this first-stage hit unconnected to the question as far as the graph can tell? It names none of the
    question's linked entities (their names or the question's words for them) nor any of `bridges` (the entities
    through which the graph chunk that would take its place was reached), and the walk from the question's entities
    did not reach it (it states no relation on their paths). Under the gate 'path' such a hit is what a graph chunk
    that adds evidence may take the place of, however similar it is to the question: by the graph it adds nothing
    the question asks about, and the graph chunk states the fact a top hit's relation leads to."""
    if hit.chunk_id in evidence.chunk_scores:
        return False
    text = hit.about_text().casefold()
    names = {n.casefold() for e in evidence.linked for n in (e.name, e.mention) if n} | set(bridges)
    return not any(len(n) > 1 and n in text for n in names)


_LEADING = re.compile(r"^[\s\"'“‘《「(（]*(?:the\s+)?")


def about_its_evidence(chunk: SearchHit, evidence: GraphEvidence, shown: ShownHits) -> bool:
    """Is the graph chunk's passage about the entity it brings evidence of — the bridge it continues to, or a linked
    entity no shown hit names: does its title, a heading or its text *begin* with that entity's name? A second hop's
    passage is the bridge's own ("The Philadelphia Eagles are …", the guarantor's risk check "X公司风险排查"); a
    passage that merely names a place or a country the walk went through ("… in Baltimore County, Maryland") is not,
    and does not earn a place in the ten that way. A chunk on a path between two of the question's linked entities
    (`GraphEvidence.links_walks`), or naming what each of two linked entities is directly related to
    (`GraphEvidence.neighbour_names`: the graph may hold "the Falkland Islands" of Mount Sulivan's passage and "the
    Representative of the Falkland Islands in London" as different entities), is about what the question asks
    whatever it begins with."""
    if evidence.links_walks(chunk.chunk_id):
        return True
    text = chunk.text.casefold()
    if sum(any(n in text for n in names) for names in evidence.neighbour_names().values()) >= 2:
        return True
    names = set(evidence.bridges.get(chunk.chunk_id, ()))
    names |= {n.casefold() for e in evidence.linked for n in (e.name, e.mention)
              if n and e.key in evidence.chunk_entities.get(chunk.chunk_id, ()) and n.casefold() not in shown.text}
    starts = [_LEADING.sub("", line.casefold()) for line in (*chunk.section_label().splitlines(), chunk.text.strip())]
    return any(len(n) > 1 and start.startswith(n) and not _word_goes_on(n, start[len(n):len(n) + 1])
               for n in names for start in starts)


def _word_goes_on(name: str, following: str) -> bool:
    """A Latin name followed by a letter or digit is part of a longer word ("Australia" in "Australian …")."""
    return bool(following) and following.isascii() and following.isalnum() and name[-1:].isascii()
