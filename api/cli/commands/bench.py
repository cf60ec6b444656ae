"""`zhiku bench …`: speed and memory at scale (`bench search`: evaluation/search_benchmark.py)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer


def search(sizes: str = typer.Option("10000,100000,1000000", help="Corpus sizes in chunks, comma-separated"),
           data_dir: Path = typer.Option(Path("/work/benchdata/search"), help="Where each size's store is built "
                                         "once and kept (outside the repository: 1M chunks take several GB)"),
           eval_dir: Path = typer.Option(Path("../shared/eval"), help="Folder holding rgb_zh and cmrc2018_zh"),
           queries: int = typer.Option(200, help="Queries per system and size"),
           llamaindex_max: int = typer.Option(100_000, help="Largest size also built as a LlamaIndex "
                                              "VectorStoreIndex (qdrant-client's local mode loads every point in "
                                              "memory and scans them all)"),
           graph_max: int = typer.Option(10_000, help="Largest size whose knowledge graph is built (rule "
                                         "extraction, 13 ms of CPU a chunk, and a bulk load: about 3 h of 2 idle "
                                         "cores for 1M) and searched in graph mode"),
           processes: int = typer.Option(None, help="Processes that tokenise chunks (and extract the graph) while "
                                         "one writes; default: the machine's cores, up to 4"),
           output: Path = typer.Option(None, help="Also write the report as JSON here")):
    """p50/p95 of search and process RSS at each size: the engine alone, Zhiku's pipeline, LlamaIndex; HNSW build
    time and recall@10 against an exact scan; the query model's own p50/p95."""
    from tqdm import tqdm

    from zhiku.core.settings import get_settings
    from zhiku.evaluation.search_benchmark import (SentencePool, build_graph, build_store, default_processes,
                                                   run_in_child)
    from zhiku.index.sparse_encoder import build_sparse_encoder

    pool = SentencePool.load(eval_dir)
    settings = get_settings()
    sparse = build_sparse_encoder(settings.sparse_encoder)
    processes = processes or default_processes()
    report = []
    for size in [int(s) for s in sizes.split(",") if s.strip()]:
        folder = data_dir / str(size)
        with tqdm(total=size, unit="chunk", desc=f"building {size}", file=sys.stderr) as bar:
            build = build_store(folder, size, pool, sparse, lambda done, total: bar.update(done - bar.n),
                                processes)
        if size <= graph_max:
            with tqdm(total=size, unit="chunk", desc=f"graph {size}", file=sys.stderr) as bar:
                build["graph"] = build_graph(folder, size, pool, settings,
                                             lambda done, total: bar.update(done - bar.n), processes)
        row = {"size": size, "build": build,
               "systems": [run_in_child(kind, folder, size, queries, eval_dir) for kind in ("engine", "pipeline")]}
        if size <= llamaindex_max:
            row["systems"].append(run_in_child("llamaindex", folder, size, queries, eval_dir, processes))
        report.append(row)
        typer.echo(json.dumps(row, ensure_ascii=False))
        if output:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(report, ensure_ascii=False, indent=2))


def ingest(corpus: Path = typer.Option(Path("../shared/eval/rgb_zh/corpus.jsonl"), help="A BEIR corpus.jsonl"),
           documents: int = typer.Option(300, help="Passages to ingest, one .txt document each"),
           workers: str = typer.Option("1,2,4", help="Broker worker process counts to measure (needs "
                                       "--broker-url and --database-url)"),
           broker_url: str = typer.Option(None, help="e.g. amqp://guest:guest@127.0.0.1:5672/"),
           database_url: str = typer.Option(None, help="A PostgreSQL server's URL (…/postgres): each worker run "
                                            "creates a database of its own there and drops it afterwards"),
           paths: str = typer.Option("api,cli,workers", help="Which paths to measure besides embedding only"),
           output: Path = typer.Option(None, help="Also write the report as JSON here (after each path)"),
           chunks_per_document: str = typer.Option(None, help="e.g. 20-50: --documents documents of that many "
                                                   "chunks each, of consecutive passages (realistic policy "
                                                   "documents); default one passage per document"),
           repeats: int = typer.Option(3, help="Rounds over the paths; each path run is bracketed by "
                                       "embedding-only runs and divided by their mean, and the last line is "
                                       "each path's median ratio")):
    """Ingestion time / embedding-only time for the same chunks, through the API, `zhiku ingest` and 1-4 broker
    workers, each from an empty data folder and embedding cache, each run between two embedding-only runs."""
    from zhiku.core.settings import get_settings
    from zhiku.evaluation.ingest_benchmark import run

    def on_row(rows: list[dict]) -> None:
        typer.echo(json.dumps(rows[-1], ensure_ascii=False))
        if output:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(rows, ensure_ascii=False, indent=2))

    run(corpus, documents, get_settings(), [int(w) for w in workers.split(",") if w.strip()], broker_url,
        database_url, on_row, tuple(p.strip() for p in paths.split(",") if p.strip()),
        tuple(int(n) for n in chunks_per_document.split("-", 1)) if chunks_per_document else None, repeats)


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="Speed and memory at scale.")
    group.command()(search)
    group.command()(ingest)
    app.add_typer(group, name="bench")
