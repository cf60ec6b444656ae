"""The graph server's CPU for the graph writes of `zhiku bench ingest`'s API path, replayed (issue #14 points 6-7,
session 29): the writes a run made are recorded once, then replayed on a fresh local graph server (a fresh JVM, as in
every bench run) by whichever code is on the path, and the server's CPU over the replay read from /proc. No model, no
embedding: the server's share alone, without the load's noise on the rest of the pipeline.

    # once: run the API path (80 rgb_zh documents) and record each GraphStore.write_documents call's documents
    python docs/measurements/ingest29_graph_replay.py capture /tmp/writes.pickle
    # per code version: replay them on a fresh server; the stored graph dumped (every node and edge, every property)
    PYTHONPATH=<other code> python docs/measurements/ingest29_graph_replay.py replay /tmp/writes.pickle --dump a.json
    # options: --passes N (the same writes again into other knowledge bases: a warm JVM), --rehearse (this branch's
    # GraphStore.rehearse_writes first, as Runtime does after launching the server)

Printed (JSON), per pass: the server's CPU seconds and wall seconds, the CPU per write and by JVM thread kind (JIT
compiler, GC, other), the statements (`tx.run` calls, by their first Cypher words) with the server's CPU until the next
one; and the server's CPU at ready. The dump names nothing random
(the keys derive from the recorded ids; the per-process change counters' writer id is replaced), so two code
versions that store the same graph give byte-identical dumps.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

CORPUS = Path("/work/shared/eval/rgb_zh/corpus.jsonl")


def _plain(documents) -> list[tuple]:
    return [(d.kb_id, d.document_id, str(d.version),
             [(c.chunk_id, [(e.name, e.type, tuple(e.aliases), e.key) for e in c.entities],
               [(r.subject, r.type, r.object) for r in c.relations]) for c in d.facts]) for d in documents]


def _facts(plain: list[tuple]):
    from zhiku.graph.graph_store import ChunkFacts, DocumentFacts, EntityInput, RelationInput

    return [DocumentFacts(kb, doc, version, [ChunkFacts(chunk, [EntityInput(*e) for e in entities],
                                                        [RelationInput(*r) for r in relations])
                                             for chunk, entities, relations in facts])
            for kb, doc, version, facts in plain]


def capture(out: Path, count: int) -> None:
    from zhiku.core.settings import get_settings
    from zhiku.evaluation import ingest_benchmark as bench
    from zhiku.graph.graph_store import GraphStore

    writes: list[list[tuple]] = []
    original = GraphStore.write_documents

    def recorded(self, documents):
        writes.append(_plain(documents))
        return original(self, documents)
    GraphStore.write_documents = recorded
    base = Path(tempfile.mkdtemp(prefix="graph-replay-capture-"))
    try:
        documents = bench.write_documents(CORPUS, count, base / "documents")
        row = bench.api_path(documents, get_settings(), base / "data")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    out.write_bytes(pickle.dumps(writes))
    print(json.dumps({"writes": len(writes), "documents": sum(map(len, writes)), "api_row": row}))


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _threads(pid: int) -> Counter:
    """The server's CPU seconds by thread kind (the JIT compilers, the garbage collector, the rest)."""
    found: Counter = Counter()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kind = "JIT compiler" if "Compiler" in name else "GC" if "GC" in name or name.startswith("VM Thread") else "other"
        found[kind] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def replay(source: Path, dump: Path | None, jit: str, passes: int, rehearse: bool) -> None:
    from neo4j import GraphDatabase

    from zhiku.graph.bolt_server import EmbeddedBoltServer
    from zhiku.graph.graph_store import GraphStore

    writes = [_facts(plain) for plain in pickle.loads(source.read_bytes())]
    statements: Counter = Counter()
    statement_cpu: Counter = Counter()
    last: list = [None, 0.0]  # the statement running, the server's CPU when it was sent
    server_pid: list = [None]  # set once the server runs
    run = None
    try:  # count the statements each transaction runs (the driver's transaction class, whichever code uses it)
        from neo4j._sync.work.transaction import TransactionBase
        run = TransactionBase.run

        def counted(self, query, *args, **kwargs):
            # the server's CPU from one statement to the next is the earlier one's (its result is read before the
            # next is sent); the last one of a write gets the commit's too
            if server_pid[0] is None:
                return run(self, query, *args, **kwargs)
            now = _cpu(server_pid[0])
            if last[0] is not None:
                statement_cpu[last[0]] += now - last[1]
            name = " ".join(str(query).split()[:8])
            statements[name] += 1
            last[:] = [name, now]
            return run(self, query, *args, **kwargs)
        TransactionBase.run = counted
    except ImportError:
        pass
    folder = Path(tempfile.mkdtemp(prefix="graph-replay-"))
    server = EmbeddedBoltServer(folder / "graph", jit=jit, startup_timeout=300.0)
    info = server.start()
    try:
        with GraphDatabase.driver(info.uri, auth=server.auth()) as driver:
            store = GraphStore(driver, info.database)
            store.ensure_schema()
            if rehearse:
                before = _cpu(info.pid)
                store.rehearse_writes()  # what Runtime.warm_up runs after launching the server
                print(f"rehearsal: {_cpu(info.pid) - before:.2f} server CPU-s", file=sys.stderr)
            server_pid[0] = info.pid
            ready_cpu = _cpu(info.pid)
            per_pass = []
            for number in range(passes):  # later passes: the same writes into another knowledge base (a warm JVM)
                todo = writes if number == 0 else [[replace(d, kb_id=f"{d.kb_id}-pass{number}") for d in documents]
                                                   for documents in writes]
                statements.clear()
                statement_cpu.clear()
                started_cpu, started = _cpu(info.pid), time.perf_counter()
                threads_before = _threads(info.pid)
                per_write = []
                for documents in todo:
                    before = _cpu(info.pid)
                    store.write_documents(documents)
                    per_write.append(round(_cpu(info.pid) - before, 2))
                    if last[0] is not None:
                        statement_cpu[last[0]] += _cpu(info.pid) - last[1]
                        last[0] = None
                per_pass.append({"server_cpu_s": round(_cpu(info.pid) - started_cpu, 2),
                                 "wall_s": round(time.perf_counter() - started, 2), "per_write_cpu_s": per_write,
                                 "documents_per_write": [len(documents) for documents in todo],
                                 "by_thread": {k: round(v - threads_before[k], 2)
                                               for k, v in _threads(info.pid).items()},
                                 "statements": sum(statements.values()),
                                 "by_statement": {k: [n, round(statement_cpu[k], 3)]
                                                  for k, n in statements.most_common()}})
            if run is not None:
                TransactionBase.run = run
            if dump is not None:
                dump.write_text(_dump(driver, info.database), encoding="utf-8")
    finally:
        server.stop(force=True)
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps({"writes": len(writes), "documents": sum(map(len, writes)),
                      "server_cpu_at_ready_s": round(ready_cpu, 2), "passes": per_pass,
                      "load_average": os.getloadavg()[0]}, ensure_ascii=False))


def _dump(driver, database: str) -> str:
    """Every node (labels, properties) and edge (type, both ends' keys, properties), sorted; lists kept in order."""
    from zhiku.graph import graph_store

    writer = graph_store._WRITER
    with driver.session(database=database) as session:
        nodes = sorted(json.dumps([sorted(r["labels"]), r["props"]], ensure_ascii=False, sort_keys=True, default=str)
                       for r in session.run("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"))
        edges = sorted(json.dumps([r["type"], r["a"], r["b"], r["props"]], ensure_ascii=False, sort_keys=True,
                                  default=str)
                       for r in session.run("MATCH (a)-[x]->(b) RETURN type(x) AS type, a.key AS a, b.key AS b, "
                                            "properties(x) AS props"))
    text = json.dumps({"nodes": nodes, "edges": edges}, ensure_ascii=False, indent=0)
    return text.replace(writer, "<writer>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cap = commands.add_parser("capture")
    cap.add_argument("out", type=Path)
    cap.add_argument("--documents", type=int, default=80)
    rep = commands.add_parser("replay")
    rep.add_argument("source", type=Path)
    rep.add_argument("--dump", type=Path)
    rep.add_argument("--jit", default="quick")
    rep.add_argument("--rehearse", action="store_true", help="GraphStore.rehearse_writes before the replay")
    rep.add_argument("--passes", type=int, default=1, help="later passes write the same into other knowledge bases")
    args = parser.parse_args()
    if args.command == "capture":
        capture(args.out, args.documents)
    else:
        replay(args.source, args.dump, args.jit, args.passes, args.rehearse)


if __name__ == "__main__":
    sys.exit(main())
