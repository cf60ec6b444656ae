"""The answerability check's case rows on the fixed-evidence dev sets (`zhiku eval answers`' rgb_zh and negative
cases), to draw a candidate's whole trade-off curve without answering every case again.

Measurement only: nothing is fitted or chosen here. The rows come from the answerer exactly as `zhiku eval answers`
builds it (api/runtime.py), with the check off (the gate's maximum is kept as the old score); a weights file then
gives each case its check score, and the curve is rgb_zh contains gold / first sentence / negative rejection per
threshold. The operating point is the one the fit chose on training folds (evaluation/answerability_fit.py).

    python scripts/answerability_dev_rows.py rows --dataset-dir ../shared/eval --output dev-rows.npz
    python scripts/answerability_dev_rows.py curve dev-rows.npz weights.json [weights2.json ...]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def rows(dataset_dir: Path, output: Path) -> None:
    from zhiku.core.settings import get_settings
    from zhiku.evaluation.answer_eval import case_hits, contains_any, load_cases, open_answer_service
    from zhiku.retrieval.answerability import FEATURES, AnswerabilityCheck

    settings = get_settings().model_copy(update={"answer_relation_check": False, "answer_min_confidence": 0.0})
    runtime, service, _, used = open_answer_service(settings, ["extractive"], settings.answer_evidence_chunks)
    try:
        answerer = service.extractive
        check = AnswerabilityCheck(answerer.selector)
        cases = load_cases(dataset_dir, ["rgb_zh", "negative"], service.tokenizer.tokenize,
                           used.answer_evidence_chunks, visible_chars=used.answer_evidence_chars)
        x, answerable, gold, first, gate = [], [], [], [], []
        for set_name in ("rgb_zh", "negative"):
            for n, case in enumerate(cases[set_name]):
                hits = case_hits(case)
                ranked = answerer.rank(case.question, hits)
                values = check.features(case.question, ranked, hits)
                x.append([values[name] for name in FEATURES])
                gate.append(max((s.probability for s in ranked), default=0.0))
                reply = answerer.answer(case.question, hits)
                gold.append(bool(reply.found and contains_any(reply.answer, case.answers)))
                first.append(bool(reply.found and reply.sentences
                                  and contains_any(reply.sentences[0].text, case.answers)))
                answerable.append(set_name == "rgb_zh")
                print(f"\r{set_name} {n + 1}/{len(cases[set_name])}", end="", file=sys.stderr)
        np.savez_compressed(output, x=np.asarray(x), answerable=np.asarray(answerable), gold=np.asarray(gold),
                            first=np.asarray(first), gate=np.asarray(gate), features=np.asarray(FEATURES))
    finally:
        runtime.close()


def curve(path: Path, weights: list[Path]) -> None:
    from zhiku.retrieval.answerability import FEATURES, AnswerabilityWeights

    d = np.load(path)
    if list(d["features"]) != list(FEATURES):
        raise SystemExit(f"{path} holds other features than {FEATURES}")
    ans = d["answerable"]
    scores = {"gate maximum (shipped)": (d["gate"], None)}
    for w in weights:
        model = AnswerabilityWeights.load(w)
        scores[str(w)] = (np.asarray([model.probability(row) for row in d["x"]]), model.threshold)
    for name, (s, point) in scores.items():
        print(f"\n{name}" + (f" (operating point {point:.4f})" if point is not None else ""))
        print("| threshold | rgb_zh contains gold | rgb_zh first sentence | negative rejection |")
        print("|---:|---:|---:|---:|")
        points = [0.0, 0.07, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] + ([point] if point is not None else [])
        for t in sorted(set(points)):
            kept = (s >= t) & (d["gate"] > 0)  # no sentence left at all: refused whatever the point
            print(f"| {t:.3f} | {(kept & d['gold'])[ans].mean():.3f} | {(kept & d['first'])[ans].mean():.3f} | "
                  f"{(~kept)[~ans].mean():.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("rows")
    r.add_argument("--dataset-dir", type=Path, default=Path("../shared/eval"))
    r.add_argument("--output", type=Path, required=True)
    c = sub.add_parser("curve")
    c.add_argument("rows", type=Path)
    c.add_argument("weights", type=Path, nargs="*")
    args = parser.parse_args()
    if args.command == "rows":
        rows(args.dataset_dir, args.output)
    else:
        curve(args.rows, args.weights)


if __name__ == "__main__":
    main()
