"""`zhiku eval demo-answers`: the demo knowledge base answers its example questions (demo/questions.jsonl).

Unlike `zhiku eval answers` (fixed evidence), this goes through retrieval, as a user of `zhiku serve --demo`
would: the demo files are ingested once into `data_dir` (kept, so later runs skip ingestion), then every
question is asked through KnowledgeService.ask. A question with `answer_contains` is right when the answer
contains it (and `first sentence` when the answer's first sentence does); one with `"expect": "not_found"`
(looks answerable, is not answered by the demo documents) is right when the reply is "not found".
"""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

QUESTIONS = Path(__file__).resolve().parent.parent / "demo" / "questions.jsonl"


@dataclass(slots=True)
class DemoResult:
    question: str
    kind: str
    expected: str | None
    answer: str
    found: bool
    correct: bool
    first_sentence: bool
    seconds: float
    confidence: float | None
    answer_seconds: float | None = None  # the answer from the retrieved hits alone (selection, no retrieval)


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _kind(item: dict) -> str:
    if item.get("expect") == "not_found":
        return "not answered by the documents"
    question_latin = sum(c.isascii() and c.isalpha() for c in item["question"]) > len(item["question"]) / 3
    file_latin = sum(c.isascii() and c.isalpha() for c in Path(item.get("file", "")).stem) > 3
    if question_latin != file_latin and item.get("file"):
        return "cross-language"
    return item.get("kind", "same language")


def run_demo_questions(data_dir: Path, items: list[dict], mode: str = "extractive",
                       selector_weights: Path | None = None) -> list[DemoResult]:
    from zhiku.api.demo_loader import DEMO_KB_NAME, load_demo_kb
    from zhiku.api.knowledge_service import KnowledgeService
    from zhiku.api.runtime import Runtime
    from zhiku.core.settings import get_settings

    settings = get_settings().model_copy(update={"data_dir": Path(data_dir), "answer_mode": mode,
                                                 "llm_start_local": mode == "llm"})
    runtime = Runtime(settings)
    try:
        runtime.start()
        if selector_weights is not None:
            from zhiku.evaluation.answer_eval import use_selector_weights

            use_selector_weights(runtime.answers, selector_weights)
        service = KnowledgeService(runtime)
        load_demo_kb(service)
        if not runtime.jobs.wait_idle(timeout=1800):
            raise TimeoutError("the demo knowledge base did not finish ingesting in 30 minutes")
        service.ask("预热 warm-up", [DEMO_KB_NAME], mode=mode)  # models loaded before anything is timed
        results = []
        for item in items:
            started = time.monotonic()
            answer = service.ask(item["question"], [DEMO_KB_NAME], mode=mode)
            seconds = time.monotonic() - started
            expected = item.get("answer_contains")
            first = answer.sentences[0].text if answer.found and answer.sentences else ""
            if item.get("expect") == "not_found":
                correct, first_ok = not answer.found, not answer.found
            else:
                correct = answer.found and expected in answer.text
                first_ok = answer.found and expected in first
            results.append(DemoResult(item["question"], _kind(item), expected, answer.text, answer.found, correct,
                                      first_ok, seconds, answer.confidence, answer.total_seconds))
        return results
    finally:
        runtime.close()


def format_demo_report(results: list[DemoResult]) -> str:
    lines = ["| questions | n | correct | first sentence has it |", "|---|---:|---:|---:|"]
    groups: dict[str, list[DemoResult]] = {}
    for r in results:
        groups.setdefault(r.kind, []).append(r)
    groups["all"] = results
    for kind, rows in groups.items():
        lines.append(f"| {kind} | {len(rows)} | {sum(r.correct for r in rows)} | {sum(r.first_sentence for r in rows)} |")
    seconds = sorted(r.seconds for r in results)
    if len(seconds) >= 2:
        lines += ["", f"answer latency (retrieval + answer): {_p50_p95(seconds)}"]
    answering = sorted(r.answer_seconds for r in results if r.answer_seconds is not None)
    if len(answering) >= 2:
        lines += [f"of which the answer from the hits (selection): {_p50_p95(answering)}"]
    wrong = [r for r in results if not r.correct]
    if wrong:
        lines += ["", "Wrong:"] + [f"- {r.question} (expected {r.expected or 'not found'}): {r.answer[:160]}"
                                   for r in wrong]
    return "\n".join(lines)


def _p50_p95(values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=100, method="inclusive")[94]
    return f"p50 {statistics.median(values):.2f} s, p95 {p95:.2f} s"


def to_json(results: list[DemoResult]) -> str:
    return json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1)
