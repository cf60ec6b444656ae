"""`zhiku bench ingest`: ingestion time against embedding-only time for the same chunks, and worker scaling.

The same documents (passages of a BEIR corpus, one .txt each) go through:
- embedding only: the product's chunker, then the embedding model on every chunk, nothing else (the floor);
- the API path: the upload use case and the in-process job runner (parse, chunk, embed, BM25, index, graph);
- `zhiku ingest <folder>` in its own process;
- broker workers: the API stores and publishes, 1, 2, 4 `zhiku worker` processes run the jobs.
Every run starts from an empty data folder and an empty embedding cache, so every chunk is embedded once.

Each path run is divided by the embedding-only runs just before and after it (`repeats` rounds, then each
path's median), so a ratio compares runs made seconds apart. Wall-clock ratios still move with other work on
the machine, so each row also has the CPU seconds its processes spent (`cpu_seconds`: the process tree doing
the work, the graph server included; models loaded beforehand are not counted, except for `zhiku ingest`,
whose whole process is) and `cpu_ratio_to_embedding`, which the machine's load hardly moves.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from zhiku.core.settings import Settings


class TreeCpu:
    """CPU seconds (user + system) spent by this process and its descendants between `start()` and `stop()`,
    sampled while they live (a descendant that ends in between is counted up to the last sample of it)."""

    def __init__(self):
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._names: dict[int, str] = {}

    def _sample(self) -> dict[int, float]:
        import psutil

        me = psutil.Process()
        found = {}
        for process in [me, *me.children(recursive=True)]:
            try:
                times = process.cpu_times()
                found[process.pid] = times.user + times.system
                if process.pid not in self._names:
                    self._names[process.pid] = ("this process" if process.pid == me.pid
                                                else "graph server (java)" if process.name() == "java"
                                                else "worker processes" if "worker" in process.cmdline()
                                                else process.name())
            except psutil.Error:
                continue
        return found

    def by_process(self) -> dict[str, float]:
        """CPU seconds since start() by kind of process (after stop())."""
        kinds: dict[str, float] = {}
        for pid, cpu in self._last.items():
            name = self._names.get(pid, "other")
            kinds[name] = round(kinds.get(name, 0.0) + cpu - self._first.get(pid, 0.0), 1)
        return kinds

    def start(self) -> "TreeCpu":
        self._first = self._sample()
        self._last = dict(self._first)
        return self

    def sample(self) -> None:
        self._last.update(self._sample())

    def stop(self) -> float:
        self.sample()
        return round(sum(cpu - self._first.get(pid, 0.0) for pid, cpu in self._last.items()), 1)


def write_documents(corpus: Path, count: int, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with open(corpus, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if not row["text"].strip():
                continue
            path = folder / f"{row['_id']}.txt"
            path.write_text(((row.get("title") or "") + "\n\n" + row["text"]).strip(), encoding="utf-8")
            paths.append(path)
            if len(paths) == count:
                break
    return paths


def write_long_documents(corpus: Path, count: int, folder: Path, chunk_range: tuple[int, int],
                         chunk_chars: int) -> list[Path]:
    """`count` documents of about `chunk_range` chunks each (realistic policy documents: issue #14 item 6 is about
    them; one-passage documents exaggerate the per-document cost). Each is consecutive passages of the corpus, a
    passage's title as its heading line, until it holds about the range's target × `chunk_chars` characters; the
    targets cycle through the range (deterministic: the same corpus gives the same documents)."""
    folder.mkdir(parents=True, exist_ok=True)
    low, high = chunk_range
    span = high - low + 1
    paths: list[Path] = []
    with open(corpus, encoding="utf-8") as lines:
        rows = (json.loads(line) for line in lines)
        passages = ((row.get("title") or "", row["text"].strip()) for row in rows if row["text"].strip())
        while len(paths) < count:
            target = (low + (len(paths) * 7) % span) * chunk_chars  # steps of 7: every target when 7 does not divide span
            parts: list[str] = []
            size = 0
            for title, text in passages:
                parts.append(f"{title}\n{text}" if title else text)
                size += len(parts[-1])
                if size >= target:
                    break
            if size < target:
                break  # the corpus ran out: fewer documents
            path = folder / f"policy-{len(paths):03d}.txt"
            path.write_text("\n\n".join(parts), encoding="utf-8")
            paths.append(path)
    return paths


def embedding_only(paths: list[Path], settings: Settings) -> dict:
    from zhiku.index.factory import build_embedder
    from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker
    from zhiku.ingest.parsing import parse_document

    chunker = StructuredChunker(ChunkingConfig(settings.chunk_size, settings.chunk_overlap, settings.parent_chunk_size))
    texts = [c.embedding_text for p in paths for c in chunker.chunk(parse_document(p.read_bytes(), p.name)[1])]
    model = build_embedder(settings)
    model.embed_passages(texts[:2])  # load the model outside the timing
    cpu = TreeCpu().start()
    started = time.perf_counter()
    for start in range(0, len(texts), settings.embed_batch_size):
        model.embed_passages(texts[start:start + settings.embed_batch_size])
    return {"path": "embedding only", "chunks": len(texts), "seconds": round(time.perf_counter() - started, 2),
            "cpu_seconds": cpu.stop()}


def _fresh(settings: Settings, workdir: Path, **changes) -> Settings:
    shutil.rmtree(workdir, ignore_errors=True)
    return settings.model_copy(update={"data_dir": workdir, "qdrant_url": None, **changes})


def _warm(runtime) -> None:
    """Load the models (embedder, jieba's dictionary and part-of-speech tables, the injection detector's weights)
    and open the stores outside the timing, as a running service has them (Runtime.start loads them on a thread of
    its own; here before the clock starts, so the first jobs are not timed loading them)."""
    runtime.open_stores()
    runtime.warm_up()


def api_path(paths: list[Path], settings: Settings, workdir: Path) -> dict:
    from zhiku.api.knowledge_service import KnowledgeService
    from zhiku.api.runtime import Runtime

    runtime = Runtime(_fresh(settings, workdir))
    _warm(runtime)
    runtime.start()
    service = KnowledgeService(runtime)
    kb = service.create_kb("bench-ingest")
    cpu = TreeCpu().start()
    started = time.perf_counter()
    for path in paths:
        service.upload(kb.id, path.name, path.read_bytes())
    runtime.jobs.wait_idle()
    seconds = time.perf_counter() - started
    cpu_seconds = cpu.stop()
    chunks = sum(d.chunk_count for d in runtime.metadata.list_documents(kb.id))
    runtime.close()
    return {"path": "API (upload use case + in-process job runner)", "chunks": chunks, "seconds": round(seconds, 2),
            "cpu_seconds": cpu_seconds, "cpu_by_process": cpu.by_process()}


def cli_path(folder: Path, settings: Settings, workdir: Path) -> dict:
    fresh = _fresh(settings, workdir)
    env = {**os.environ, "ZHIKU_DATA_DIR": str(fresh.data_dir)}
    env.pop("ZHIKU_DATABASE_URL", None)
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "zhiku.api.cli", "ingest", str(folder), "--kb", "bench-ingest"],
                            env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the CLI and the graph server it started and stopped
    cpu_seconds = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    total = float(re.search(r"files ingested in ([\d.]+) s", result.stdout).group(1))
    after_start = re.search(r"([\d.]+) s from the first upload", result.stdout)
    ingesting = float(after_start.group(1)) if after_start else total
    return {"path": "zhiku ingest <folder> (from its first upload to its last job)", "seconds": ingesting,
            "command_seconds": total, "process_seconds": round(seconds, 1), "cpu_seconds": cpu_seconds,
            "cpu_note": "the whole process: start-up, model load and graph server start included"}


@contextmanager
def _scratch_database(server_url: str):
    """A database of its own on the PostgreSQL server at `server_url`, dropped afterwards."""
    import psycopg

    admin = server_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"zhiku_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_until_ready(log: Path, workers: int, processes: list, timeout: float = 600) -> None:
    """Until every worker has loaded its model and joined the broker (a running deployment's state)."""
    deadline = time.monotonic() + timeout
    while log.read_text(errors="replace").count("worker ready") < workers:
        if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
            raise RuntimeError(f"the workers did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.5)


def worker_path(paths: list[Path], settings: Settings, workdir: Path, workers: int, broker_url: str,
                server_url: str) -> dict:
    with _scratch_database(server_url) as database_url:
        return _worker_path(paths, settings, workdir, workers, broker_url, database_url)


def _worker_path(paths: list[Path], settings: Settings, workdir: Path, workers: int, broker_url: str,
                 database_url: str) -> dict:
    """This process is the API (it owns the embedded vector store); `workers` processes run the jobs."""
    from zhiku.api.knowledge_service import KnowledgeService
    from zhiku.api.runtime import Runtime

    namespace = f"zhiku-bench-{uuid.uuid4().hex[:8]}"
    fresh = _fresh(settings, workdir, broker_url=broker_url, broker_namespace=namespace, database_url=database_url)
    runtime = Runtime(fresh)
    runtime.start()
    env = {**os.environ, "ZHIKU_DATA_DIR": str(workdir), "ZHIKU_BROKER_URL": broker_url,
           "ZHIKU_BROKER_NAMESPACE": namespace, "ZHIKU_DATABASE_URL": database_url,
           "ZHIKU_MODEL_THREADS": str(max(1, 2 // workers))}
    log = open(workdir / "workers.log", "ab")
    processes = [subprocess.Popen([sys.executable, "-m", "zhiku.api.cli", "worker"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT) for _ in range(workers)]
    try:
        service = KnowledgeService(runtime)
        kb = service.create_kb("bench-ingest")
        _wait_until_ready(workdir / "workers.log", workers, processes)
        cpu = TreeCpu().start()
        started = time.perf_counter()
        for path in paths:
            service.upload(kb.id, path.name, path.read_bytes())
        while not runtime.jobs.wait_idle(timeout=5):
            cpu.sample()
        seconds = time.perf_counter() - started
        cpu_seconds = cpu.stop()
        chunks = sum(d.chunk_count for d in runtime.metadata.list_documents(kb.id))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=120)
        runtime.close()
        # with a broker no process stops the shared graph server on exit: stop this run's
        from zhiku.graph.bolt_server import EmbeddedBoltServer

        EmbeddedBoltServer(fresh.resolved_graph_data_dir).stop(force=True)
    return {"path": f"{workers} broker worker process(es)", "chunks": chunks, "seconds": round(seconds, 2),
            "cpu_seconds": cpu_seconds, "cpu_by_process": cpu.by_process()}


def run(corpus: Path, count: int, settings: Settings, worker_counts: list[int], broker_url: str | None,
        database_url: str | None, on_row=None, paths: tuple[str, ...] = ("api", "cli", "workers"),
        chunks_per_document: tuple[int, int] | None = None, repeats: int = 1) -> list[dict]:
    """Every path in turn, `repeats` times, each bracketed by embedding-only runs; `on_row(rows)` after each row
    (a long run keeps what it measured if a later path fails).

    A path's ratio is its time over the mean of the embedding-only runs just before and just after it: on a shared
    machine (and on an idle one, where the embedding-only time itself moved 9.9–14.6 s between runs) a floor
    measured once at the start compares runs made minutes apart. The last row is the per-path median and range
    of those ratios. `chunks_per_document` (low, high): `count` documents of that many chunks each, made of
    consecutive passages (write_long_documents); else one passage per document."""
    base = Path(tempfile.mkdtemp(prefix="zhiku-ingest-bench-"))
    rows: list[dict] = []

    def add(row: dict, floors: list[dict] | None = None) -> None:
        rows.append(row)
        if floors:
            reference = sum(f["seconds"] for f in floors) / len(floors)
            cpu_floors = [f["cpu_seconds"] for f in floors if f.get("cpu_seconds")]
            row["embedding_only_seconds"] = round(reference, 2)
            row["ratio_to_embedding"] = round(row["seconds"] / reference, 2)
            row["chunks_per_second"] = round(floors[0]["chunks"] / row["seconds"], 1)
            if row.get("cpu_seconds") and len(cpu_floors) == len(floors):
                row["cpu_ratio_to_embedding"] = round(row["cpu_seconds"] * len(floors) / sum(cpu_floors), 2)
        row["load_average"] = [round(x, 2) for x in os.getloadavg()]
        if on_row:
            on_row(rows)

    measures = []
    if "api" in paths:
        measures.append(lambda run_dir: api_path(documents, settings, run_dir))
    if "cli" in paths:
        measures.append(lambda run_dir: cli_path(base / "documents", settings, run_dir))
    if broker_url and database_url and "workers" in paths:
        for workers in worker_counts:
            measures.append(lambda run_dir, w=workers: worker_path(documents, settings, run_dir, w, broker_url,
                                                                   database_url))
    try:
        if chunks_per_document:
            # a chunk holds about chunk_size - overlap new characters
            documents = write_long_documents(corpus, count, base / "documents", chunks_per_document,
                                             settings.chunk_size - settings.chunk_overlap)
        else:
            documents = write_documents(corpus, count, base / "documents")
        floor = embedding_only(documents, settings)
        add(floor)
        for round_number in range(repeats):
            for index, measure in enumerate(measures):
                row = measure(base / f"run{round_number}-{index}")
                row["round"] = round_number
                after = embedding_only(documents, settings)
                add(row, [floor, after])
                add(after)
                floor = after
        add(ratio_summary(rows))
        return rows
    finally:
        shutil.rmtree(base, ignore_errors=True)


def ratio_summary(rows: list[dict]) -> dict:
    """Per path: the median, lowest and highest of its bracketed wall and CPU ratios over the rounds."""
    from statistics import median

    summary: dict = {"path": "summary (median, min, max over the rounds)"}
    for path in dict.fromkeys(r["path"] for r in rows if "ratio_to_embedding" in r):
        wall = [r["ratio_to_embedding"] for r in rows if r["path"] == path and "ratio_to_embedding" in r]
        cpu = [r["cpu_ratio_to_embedding"] for r in rows if r["path"] == path and "cpu_ratio_to_embedding" in r]
        summary[path] = {"rounds": len(wall), "wall_ratio": [median(wall), min(wall), max(wall)]}
        if cpu:
            summary[path]["cpu_ratio"] = [median(cpu), min(cpu), max(cpu)]
    return summary
