"""Builds (once) and opens the vector index of an evaluation corpus, through the real ingestion path.

Each passage becomes a one-paragraph document (its title, if any, as the heading) that goes through
the same chunker, embedder, sparse encoder and vector store as an upload. The index lives in
<data_dir>/eval/<set>-<embedder>-<sparse>-c<chunk size>/ and is reused while the corpus is unchanged.
"""
from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zhiku.core.types import Block, ParsedDocument
from zhiku.evaluation.beir_dataset import BeirDataset
from zhiku.index.edge_store import EdgeVectorStore
from zhiku.index.qdrant_client_store import QdrantClientVectorStore
from zhiku.index.vector_store import VectorStore
from zhiku.index.embedding_cache import CachingEmbedder
from zhiku.index.indexer import DocumentRef, Indexer
from zhiku.index.sparse_encoder import SparseEncoder
from zhiku.ingest.chunker import StructuredChunker

BATCH_PASSAGES = 128


@dataclass(slots=True)
class BuildStats:
    passages: int
    chunks: int
    characters: int
    seconds: float
    reused: bool

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0


def eval_index_dir(data_dir: Path, dataset: BeirDataset, embedder_id: str, sparse_name: str, chunk_size: int,
                   engine: str = "edge") -> Path:
    suffix = "" if engine == "edge" else f"-{engine}"
    slug = re.sub(r"[^a-z0-9]+", "-", f"{dataset.name}-{embedder_id}-{sparse_name}-c{chunk_size}{suffix}".lower())
    return Path(data_dir) / "eval" / slug.strip("-")


def passage_document(title: str, text: str) -> ParsedDocument:
    heading_path = [title] if title else []
    return ParsedDocument(blocks=[Block(text=text.strip(), heading_path=heading_path)], title=title or None)


def open_eval_index(dataset: BeirDataset, folder: Path, embedder: CachingEmbedder, sparse: SparseEncoder,
                    chunker: StructuredChunker, rebuild: bool = False,
                    on_progress: Callable[[int, int], None] | None = None,
                    engine: str = "edge") -> tuple[VectorStore, BuildStats]:
    manifest_path = folder / "manifest.json"
    fingerprint = {"passages": len(dataset.passages), "first": dataset.passages[0].passage_id if dataset.passages else "",
                   "last": dataset.passages[-1].passage_id if dataset.passages else ""}
    if not rebuild and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("fingerprint") == fingerprint:
            store = _open_store(folder, engine)
            store.ensure_collection(embedder.dimension, embedder.model_id)
            return store, BuildStats(manifest["passages"], manifest["chunks"], manifest["characters"],
                                     manifest["seconds"], reused=True)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    store = _open_store(folder, engine)
    store.ensure_collection(embedder.dimension, embedder.model_id)
    indexer = Indexer(store, embedder, sparse)
    started = time.perf_counter()
    chunks_total = characters = 0
    for start in range(0, len(dataset.passages), BATCH_PASSAGES):
        batch = dataset.passages[start:start + BATCH_PASSAGES]
        documents = []
        for passage in batch:
            if not passage.text.strip():
                continue
            group = dataset.passage_group.get(passage.passage_id, dataset.name)
            ref = DocumentRef(group, passage.passage_id, "v1", passage.title or passage.passage_id, "text", ["*"])
            chunks = chunker.chunk(passage_document(passage.title, passage.text))
            documents.append((ref, chunks))
            characters += sum(len(c.text) for c in chunks)
        chunks_total += indexer.index_many(documents)
        if on_progress:
            on_progress(min(start + BATCH_PASSAGES, len(dataset.passages)), len(dataset.passages))
    store.optimize()
    seconds = time.perf_counter() - started
    manifest_path.write_text(json.dumps({"fingerprint": fingerprint, "passages": len(dataset.passages),
                                         "chunks": chunks_total, "characters": characters, "seconds": seconds}))
    return store, BuildStats(len(dataset.passages), chunks_total, characters, seconds, reused=False)


def _open_store(folder: Path, engine: str) -> VectorStore:
    """`edge`: the embedded default; `local`: qdrant-client local mode, to compare the two engines."""
    if engine == "local":
        return QdrantClientVectorStore.for_local_path(str(folder / "store"), "eval")
    return EdgeVectorStore(folder / "store")
