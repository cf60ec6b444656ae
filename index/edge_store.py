"""The embedded engine: Qdrant's own engine in-process (qdrant-edge), HNSW + sparse + payload indexes."""
from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import qdrant_edge as qe

from zhiku.core.errors import ConfigurationError
from zhiku.index.sparse_encoder import SparseVector
from zhiku.index.vector_store import (
    DENSE, EVERYONE, KEYWORD_INDEXES, SCHEMA_MARKER_ID, SPARSE, ChunkFilter, IndexPoint, ScoredChunk,
    embedder_mismatch_message,
)


FULL_SCAN_THRESHOLD_KB = 10_000  # the engine's default: a filtered set of fewer vectors is scanned, not walked


@dataclass(frozen=True)
class HnswSettings:
    """The HNSW graph's parameters (core/settings.py: edge_hnsw_m, edge_hnsw_ef_construct, edge_index_threads,
    edge_hnsw_ef); the defaults are the engine's own. The first three are kept in the shard when it is created;
    `search_ef` is applied at each search."""
    m: int = 16
    ef_construct: int = 100
    threads: int = 0  # 0: the machine's cores
    search_ef: int = 0  # candidates a dense search keeps while it walks the graph; 0: the engine's (ef_construct)

    @classmethod
    def from_settings(cls, settings) -> "HnswSettings":
        return cls(settings.edge_hnsw_m, settings.edge_hnsw_ef_construct, settings.edge_index_threads,
                   settings.edge_hnsw_ef)


class EdgeStoreLocked(ConfigurationError):
    """Another process has the shard open (qdrant-edge allows one)."""


class EdgeVectorStore:
    """One collection in a shard folder. The HNSW index is built away from it (index/edge_index_builder.py): a
    copy of the shard is optimised by another process while this one keeps serving and writing, then the
    copy, brought up to date from a journal of the writes made meanwhile, replaces it. Each such copy is a
    new generation folder next to the first (`<name>.gen<N>`, named in `<name>.current`)."""

    def __init__(self, path: Path, indexing_threshold_kb: int | None = None, hnsw: HnswSettings | None = None):
        """`indexing_threshold_kb`: segments whose vectors take more than this get an HNSW graph (the engine's
        default, 10 MB, is about 6,500 vectors of 384 dimensions: below that a scan is as fast). `hnsw`: the graph's
        parameters, kept in the shard's config when it is created (an existing shard keeps its own)."""
        self._path = Path(path)
        self._indexing_threshold_kb = indexing_threshold_kb
        self._hnsw = hnsw or HnswSettings()
        self._shard: qe.EdgeShard | None = None
        self._folder: Path | None = None
        # One writer at a time (an upsert batch and a delete-by-version stay atomic with respect to each other);
        # reads take no lock: the engine serves them concurrently with writes.
        self._lock = threading.RLock()
        self._journal: list[qe.UpdateOperation] | None = None  # writes made while a copy is being indexed

    @property
    def _pointer(self) -> Path:
        return self._path.with_name(self._path.name + ".current")

    def current_folder(self) -> Path:
        try:
            return self._path.with_name(self._pointer.read_text().strip())
        except OSError:
            return self._path

    def ensure_collection(self, dense_dim: int, embedder_id: str) -> None:
        with self._lock:
            if self._shard is not None:
                return
            folder = self.current_folder()
            has_data = folder.exists() and any(folder.iterdir())
            try:
                if has_data:
                    self._shard = qe.EdgeShard.load(str(folder))
                else:
                    self._shard = qe.EdgeShard.create(str(folder), self._config(dense_dim))
                    for key in KEYWORD_INDEXES:
                        # kb_id is the tenant key: its index groups each knowledge base's points together
                        schema = qe.KeywordIndexParams(is_tenant=True) if key == "kb_id" else qe.PayloadSchemaType.Keyword
                        self._shard.update(qe.UpdateOperation.create_field_index(key, schema))
            except Exception as exc:  # the engine raises plain RuntimeErrors
                if "WouldBlock" in str(exc):
                    raise EdgeStoreLocked(
                        f"The embedded vector store at {folder} is open in another process. Stop the "
                        "other Zhiku process (serve, ingest or eval) or use a Qdrant server (ZHIKU_QDRANT_URL)."
                    ) from exc
                raise
            self._folder = folder
            self._remove_stale_generations()
            self._check_marker(dense_dim, embedder_id)

    def _config(self, dense_dim: int) -> qe.EdgeConfig:
        optimizers = None
        if self._indexing_threshold_kb is not None:
            optimizers = qe.EdgeOptimizersConfig(indexing_threshold=self._indexing_threshold_kb)
        return qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=dense_dim, distance=qe.Distance.Cosine)},
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            hnsw_config=qe.HnswIndexConfig(m=self._hnsw.m, ef_construct=self._hnsw.ef_construct,
                                           full_scan_threshold=FULL_SCAN_THRESHOLD_KB,
                                           max_indexing_threads=self._hnsw.threads),
            optimizers=optimizers,
        )

    def hnsw_config(self) -> dict:
        """The HNSW parameters the open shard was created with (its edge_config.json)."""
        import json

        return json.loads((self.current_folder() / "edge_config.json").read_text()).get("hnsw_config", {})

    def _check_marker(self, dense_dim: int, embedder_id: str) -> None:
        found = self._shard.retrieve([SCHEMA_MARKER_ID], with_payload=True, with_vector=False)
        if found:
            built_with = (found[0].payload or {}).get("embedder_id")
            if built_with != embedder_id:
                raise ConfigurationError(embedder_mismatch_message(built_with, embedder_id))
            return
        # The marker has a zero-weight sparse vector only, and no kb_id, so no search can return it.
        marker = qe.Point(SCHEMA_MARKER_ID, {DENSE: [0.0] * (dense_dim - 1) + [1.0]},
                          {"embedder_id": embedder_id, "schema": 1})
        self._update(qe.UpdateOperation.upsert_points([marker]))

    @property
    def shard(self) -> qe.EdgeShard:
        if self._shard is None:
            raise RuntimeError("ensure_collection() must be called first")
        return self._shard

    def _update(self, operation: qe.UpdateOperation) -> None:
        with self._lock:
            self.shard.update(operation)
            if self._journal is not None:
                self._journal.append(operation)

    def upsert(self, points: list[IndexPoint]) -> None:
        if not points:
            return
        edge_points = [
            qe.Point(p.point_id, {DENSE: p.dense.astype(np.float32).tolist(),
                                  SPARSE: qe.SparseVector(p.sparse.indices, p.sparse.values)}, p.payload)
            for p in points
        ]
        self._update(qe.UpdateOperation.upsert_points(edge_points))

    def delete(self, chunk_filter: ChunkFilter) -> None:
        self._update(qe.UpdateOperation.delete_points_by_filter(_to_filter(chunk_filter)))

    def search_dense(self, vector: np.ndarray, chunk_filter: ChunkFilter, limit: int,
                     exact: bool = False) -> list[ScoredChunk]:
        """`exact`: a full scan instead of the HNSW graph (the recall benchmark's reference)."""
        query = qe.Query.Nearest(np.asarray(vector, dtype=np.float32).tolist(), using=DENSE)
        if exact:
            params = qe.SearchParams(exact=True)
        else:
            params = qe.SearchParams(hnsw_ef=max(self._hnsw.search_ef, limit)) if self._hnsw.search_ef else None
        return self._query(query, chunk_filter, limit, params)

    def search_sparse(self, vector: SparseVector, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        if not vector.indices:
            return []
        query = qe.Query.Nearest(qe.SparseVector(vector.indices, vector.values), using=SPARSE)
        return self._query(query, chunk_filter, limit)

    def _query(self, query, chunk_filter: ChunkFilter, limit: int, params=None) -> list[ScoredChunk]:
        request = qe.QueryRequest(limit=limit, query=query, filter=_to_filter(chunk_filter), with_payload=True,
                                  params=params)
        points = self._read(lambda shard: shard.query(request))
        return [ScoredChunk(str(p.id), float(p.score), dict(p.payload or {})) for p in points]

    def _read(self, read):
        """A read on the current shard; if a new generation replaced it in between, the read is made there."""
        shard = self.shard
        try:
            return read(shard)
        except Exception:
            if self._shard is shard:
                raise
            return read(self.shard)

    def set_access(self, document_id: str, principals: list[str]) -> None:
        self._update(qe.UpdateOperation.set_payload_by_filter(
            _to_filter(ChunkFilter(document_ids=[document_id])), {"access_principals": list(principals)}))

    def count(self, chunk_filter: ChunkFilter) -> int:
        return self._read(lambda shard: shard.count(qe.CountRequest(exact=True, filter=_to_filter(chunk_filter))))

    def fetch(self, chunk_filter: ChunkFilter, limit: int) -> list[ScoredChunk]:
        request = qe.ScrollRequest(limit=limit, filter=_to_filter(chunk_filter), with_payload=True)
        records, _next = self._read(lambda shard: shard.scroll(request))
        return [ScoredChunk(str(r.id), 0.0, dict(r.payload or {})) for r in records]

    def info(self):
        """The engine's ShardInfo: points, segments, indexed vectors, payload indexes."""
        return self._read(lambda shard: shard.info())

    def unindexed_points(self) -> int:
        """Points whose dense vector is not in an HNSW graph yet (every point but the marker has a sparse vector,
        which is always indexed)."""
        info = self.info()
        return max(0, 2 * info.points_count - 1 - info.indexed_vectors_count)

    def optimize(self) -> None:
        """Build the indexes here and now, blocking this process (bulk loads and evaluation indexes); the
        service uses the background builder instead."""
        with self._lock:
            self.shard.optimize()

    # -- generations: the background index builder's side ----------------------------------------
    def begin_copy(self) -> Path:
        """Copy the shard to a new generation folder and journal every write from now on. Writes wait while the
        files are copied (a second per few hundred MB); reads do not."""
        with self._lock:
            if self._journal is not None:
                raise RuntimeError("a copy is already being indexed")
            source = self._folder or self.current_folder()
            target = self._next_generation(source)
            self.shard.flush()
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)
            self._journal = []
            return target

    def adopt_copy(self, folder: Path) -> None:
        """Open the indexed copy, bring it up to date from the journal, and serve from it: the journal is replayed
        outside the write lock until little is left, so writers and readers wait only for the last few writes."""
        fresh = qe.EdgeShard.load(str(folder))
        applied = 0
        try:
            while True:
                with self._lock:
                    pending = self._journal[applied:]
                    if len(pending) <= 8:
                        for operation in pending:
                            fresh.update(operation)
                        fresh.flush()
                        self._pointer_to(folder)
                        old, old_folder = self._shard, self._folder
                        self._shard, self._folder, self._journal = fresh, folder, None
                        break
                for operation in pending:
                    fresh.update(operation)
                applied += len(pending)
        except BaseException:
            fresh.close()
            raise
        old.close()
        if old_folder is not None and old_folder != folder:
            shutil.rmtree(old_folder, ignore_errors=True)

    def abandon_copy(self, folder: Path) -> None:
        with self._lock:
            self._journal = None
        shutil.rmtree(folder, ignore_errors=True)

    def _next_generation(self, source: Path) -> Path:
        number = int(source.name.rsplit(".gen", 1)[1]) + 1 if ".gen" in source.name else 1
        return self._path.with_name(f"{self._path.name}.gen{number}")

    def _pointer_to(self, folder: Path) -> None:
        temporary = self._pointer.with_suffix(".tmp")
        temporary.write_text(folder.name)
        os.replace(temporary, self._pointer)

    def _remove_stale_generations(self) -> None:
        """Copies left by a process that stopped while indexing one (the pointer never reached them)."""
        for folder in self._path.parent.glob(f"{self._path.name}.gen*"):
            if folder != self._folder and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
        if self._folder != self._path and self._path.exists():
            shutil.rmtree(self._path, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            if self._shard is not None:
                self._shard.flush()
                self._shard.close()
                self._shard = None
            self._journal = None


def _to_filter(f: ChunkFilter) -> qe.Filter:
    # Every real chunk has a kb_id; requiring one keeps the schema marker out of every result.
    must: list = [qe.FieldCondition(key="kb_id", is_empty=False)]
    must_not: list = []
    if f.kb_ids:
        must.append(qe.FieldCondition(key="kb_id", match=qe.MatchAny(list(f.kb_ids))))
    if f.document_ids:
        must.append(qe.FieldCondition(key="document_id", match=qe.MatchAny(list(f.document_ids))))
    if f.file_types:
        must.append(qe.FieldCondition(key="file_type", match=qe.MatchAny(list(f.file_types))))
    should: list = []
    if f.principals is not None:
        readable = qe.FieldCondition(key="access_principals", match=qe.MatchAny([EVERYONE, *f.principals]))
        if f.full_access_kb_ids:  # the only `should` of the filter: at least one of the two holds
            should = [readable, qe.FieldCondition(key="kb_id", match=qe.MatchAny(list(f.full_access_kb_ids)))]
        else:
            must.append(readable)
    if f.version is not None:
        must.append(qe.FieldCondition(key="version", match=qe.MatchValue(f.version)))
    if f.exclude_version is not None:
        must_not.append(qe.FieldCondition(key="version", match=qe.MatchValue(f.exclude_version)))
    if f.point_ids is not None:
        must.append(qe.HasIdCondition(set(f.point_ids)))
    return qe.Filter(must=must, should=should or None, must_not=must_not or None)
