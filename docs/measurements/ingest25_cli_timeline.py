"""`zhiku ingest <folder>`'s timeline: when the graph server is ready, when the uploads begin, how long each graph
write takes, and what the graph server's JVM spends its CPU on meanwhile (its JIT compiler threads apart from the
rest), sampled every 0.25 s (issue #14 point 6, session 25).

The command runs in this process (the same code path as `python -m zhiku.api.cli ingest`), from an empty data
folder, with the bench's documents (the first `count` passages of the corpus, one .txt each):

    python docs/measurements/ingest25_cli_timeline.py /work/shared/eval/rgb_zh/corpus.jsonl 80 [--prime] [--out t.json]

`--prime`: before its first upload, the command ingests one of the documents into another knowledge base and waits
until it is done (a fresh process's first-use costs paid outside the timed window).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of a process's threads, summed by kind: the JIT compilers, the garbage
    collector, everything else."""
    tick = os.sysconf("SC_CLK_TCK")
    kinds: dict[str, float] = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kinds
    for tid in tasks:
        try:
            comm = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu = (int(fields[11]) + int(fields[12])) / tick
        kind = "jit" if "Compiler" in comm or comm.startswith(("C1 ", "C2 ")) else \
            "gc" if "GC" in comm or "VM Thread" in comm else "other"
        kinds[kind] = kinds.get(kind, 0.0) + cpu
    try:  # the whole process (threads that ended included)
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        kinds["process"] = (int(fields[11]) + int(fields[12])) / tick
    except OSError:
        pass
    return kinds


def main(argv: list[str]) -> None:
    corpus, count = Path(argv[0]), int(argv[1])
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    prime = "--prime" in argv
    from zhiku.evaluation.ingest_benchmark import write_documents

    base = Path(tempfile.mkdtemp(prefix="zhiku-cli-timeline-"))
    write_documents(corpus, count, base / "documents")
    os.environ["ZHIKU_DATA_DIR"] = str(base / "data")
    os.environ.pop("ZHIKU_DATABASE_URL", None)

    from zhiku.graph import bolt_server, graph_store

    t0 = time.perf_counter()
    events: list[tuple[float, str]] = []
    writes: list[dict] = []
    samples: list[dict] = []
    java = [None]

    def at() -> float:
        return round(time.perf_counter() - t0, 3)

    original_start = bolt_server.EmbeddedBoltServer.start

    def start(self):
        events.append((at(), "graph server: start() called"))
        try:
            return original_start(self)
        finally:
            java[0] = (self.info.pid if self.info else None)
            events.append((at(), f"graph server: ready (a login answered); JVM CPU since launch "
                                 f"{thread_cpu(java[0]).get('process', 0.0) if java[0] else 0.0:.2f} s"))
    bolt_server.EmbeddedBoltServer.start = start

    original_write = graph_store.GraphStore.write_documents

    def write_documents_timed(self, documents):
        started = at()
        try:
            return original_write(self, documents)
        finally:
            writes.append({"at": started, "ms": round((at() - started) * 1000, 1),
                           "chunks": sum(len(d.facts) for d in documents), "documents": len(documents)})
    graph_store.GraphStore.write_documents = write_documents_timed

    original_schema = graph_store.GraphStore.ensure_schema

    def ensure_schema(self):
        started = at()
        try:
            return original_schema(self)
        finally:
            events.append((at(), f"graph: ensure_schema done ({(at() - started) * 1000:.0f} ms); JVM CPU since launch "
                                 f"{thread_cpu(java[0]).get('process', 0.0) if java[0] else 0.0:.2f} s"))
    graph_store.GraphStore.ensure_schema = ensure_schema

    from zhiku.api.cli import common
    from zhiku.api.runtime import Runtime

    def logged(name: str, function):
        def wrapper(*args, **kwargs):
            events.append((at(), f"{name}: begins"))
            try:
                return function(*args, **kwargs)
            finally:
                events.append((at(), f"{name}: done"))
        return wrapper
    common._warm = logged("CLI warm-up thread (jieba, POS tagger, embedder)", common._warm)
    Runtime.warm_up = logged("Runtime.warm_up (models, extractor, linker)", Runtime.warm_up)
    Runtime.open_stores = logged("Runtime.open_stores", Runtime.open_stores)
    from zhiku.api.cli.commands import documents as documents_command
    original_ingest_local = documents_command._ingest_local

    modules_at_upload: set[str] = set()

    cpu_marks: dict[str, float] = {}

    def ingest_local(service, files, *args, **kwargs):
        if prime:  # one document of another knowledge base through the whole pipeline first, then idle
            events.append((at(), "priming document: upload"))
            kb = service.create_kb("prime")
            service.upload(kb.id, "prime.txt", files[-1].read_bytes())
            service.rt.jobs.wait_idle()
            events.append((at(), "priming document: done"))
        events.append((at(), "first upload"))
        cpu_marks["first upload"] = time.process_time()
        modules_at_upload.update(sys.modules)
        try:
            return original_ingest_local(service, files, *args, **kwargs)
        finally:
            events.append((at(), "uploads done"))
    documents_command._ingest_local = ingest_local
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            if java[0]:
                samples.append({"at": at(), **{k: round(v, 2) for k, v in thread_cpu(java[0]).items()}})
            time.sleep(0.25)
    threading.Thread(target=sample, daemon=True).start()

    from zhiku.api.cli import app

    try:
        app(["ingest", str(base / "documents"), "--kb", "bench-ingest"], standalone_mode=False)
    finally:
        events.append((at(), "command returned"))
        cpu_marks["command returned"] = time.process_time()
        done.set()
        shutil.rmtree(base, ignore_errors=True)
    first_upload = next(t for t, e in events if e == "first upload")

    def cpu_at(t: float) -> dict:
        before = [s for s in samples if s["at"] <= t]
        return before[-1] if before else {"at": t}

    def between(a: dict, b: dict) -> dict:
        return {k: round(b.get(k, 0.0) - a.get(k, 0.0), 2) for k in ("process", "jit", "gc", "other")}

    last = samples[-2] if len(samples) > 1 else {}  # the last sample may be taken while the server stops
    start_sample = samples[0] if samples else {}
    result = {"events": events, "graph_writes": writes,
              "this_process_cpu_from_first_upload": round(cpu_marks["command returned"] - cpu_marks["first upload"], 2),
              "jvm_cpu_before_first_upload": between(start_sample, cpu_at(first_upload)),
              "jvm_cpu_after_first_upload": between(cpu_at(first_upload), last),
              "jvm_cpu_by_second_after_first_upload": [
                  {"second": s, **between(cpu_at(first_upload + s), cpu_at(first_upload + s + 1))}
                  for s in range(0, int(last.get("at", first_upload) - first_upload) + 1)
                  if cpu_at(first_upload + s + 1).get("process", 0.0) > cpu_at(first_upload + s).get("process", 0.0)],
              "load_average": os.getloadavg(),
              # Python modules first imported after the first upload (inside the jobs' time)
              "modules_imported_after_first_upload": sorted(set(sys.modules) - modules_at_upload)}
    print(json.dumps(result, indent=1))
    if out:
        out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
