"""Builds (once) the knowledge graph of an evaluation corpus, through the same graph stage as an upload.

Every passage's chunks (the eval index's chunker, so the chunk ids are the index's point ids) go through
the configured extractor and resolver into a local Bolt server kept in <data_dir>/eval/graph, under the
knowledge base the eval index uses for the passage. A `graph.json` marker in the eval index folder records
what was built, so later runs reuse it.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from zhiku.evaluation.beir_dataset import BeirDataset
from zhiku.evaluation.eval_index import passage_document
from zhiku.graph.graph_builder import GraphBuilder
from zhiku.graph.graph_store import GraphStore
from zhiku.index.indexer import DocumentRef
from zhiku.ingest.chunker import StructuredChunker

GRAPH_FORMAT = 2  # bump when extraction changes, so eval graphs are rebuilt


@dataclass(slots=True)
class GraphBuildStats:
    passages: int
    chunks: int
    entities: int
    relations: int
    extraction_seconds: float
    seconds: float
    reused: bool

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0

    @property
    def extraction_chunks_per_second(self) -> float:
        return self.chunks / self.extraction_seconds if self.extraction_seconds else 0.0


def open_eval_graph(dataset: BeirDataset, index_folder: Path, store: GraphStore, builder: GraphBuilder,
                    chunker: StructuredChunker, rebuild: bool = False,
                    on_progress: Callable[[int, int], None] | None = None) -> GraphBuildStats:
    marker = index_folder / "graph.json"
    fingerprint = {"format": GRAPH_FORMAT, "passages": len(dataset.passages), "extractor": builder.extractor.name}
    if not rebuild and marker.exists():
        saved = json.loads(marker.read_text())
        if saved.get("fingerprint") == fingerprint:
            return GraphBuildStats(**saved["stats"], reused=True)
    kbs = {dataset.passage_group.get(p.passage_id, dataset.name) for p in dataset.passages}
    for kb in kbs:
        store.remove_kb(kb)
    started = time.perf_counter()
    chunks_total = entities = relations = 0
    timed = _TimedExtractor(builder.extractor)
    timed_builder = GraphBuilder(store, timed, builder.resolver_for_kb)
    for done, passage in enumerate(dataset.passages, start=1):
        if passage.text.strip():
            group = dataset.passage_group.get(passage.passage_id, dataset.name)
            ref = DocumentRef(group, passage.passage_id, "v1", passage.title or passage.passage_id, "text", ["*"])
            chunks = chunker.chunk(passage_document(passage.title, passage.text))
            result = timed_builder.build(ref, chunks)
            chunks_total += result.chunks
            entities += result.entities
            relations += result.relations
        if on_progress and (done % 50 == 0 or done == len(dataset.passages)):
            on_progress(done, len(dataset.passages))
    extraction_seconds = timed.seconds
    stats = GraphBuildStats(len(dataset.passages), chunks_total, entities, relations, extraction_seconds,
                            time.perf_counter() - started, reused=False)
    saved_stats = {k: v for k, v in asdict(stats).items() if k != "reused"}
    marker.write_text(json.dumps({"fingerprint": fingerprint, "stats": saved_stats}))
    return stats


class _TimedExtractor:
    """The configured extractor, timed, so extraction speed is reported apart from graph writes."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0

    def extract(self, text, heading_path=()):
        started = time.perf_counter()
        try:
            return self.inner.extract(text, heading_path)
        finally:
            self.seconds += time.perf_counter() - started
