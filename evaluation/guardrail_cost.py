"""What the injection detector costs on real text: how many passages and questions nobody wrote as attacks it
flags (a flagged passage is kept out of the evidence, a flagged question gets the fixed refusal), and how long it
takes per text.

    python -m zhiku.evaluation.guardrail_cost [--dataset-dir ../shared/eval] [--more]

Default corpora: rgb_zh passages (the first 1,500), financebench_en questions (all 50 of the development split)
and pages (the first 500). `--more` adds cmrc2018_zh passages and questions and hotpotqa_multihop_en passages.
Every flagged text is listed with the detector's reason, so each false alarm can be read.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from zhiku.guardrails.injection import detect_injection


def _rows(path: Path, limit: int | None = None) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
                if limit is not None and len(rows) >= limit:
                    break
    return rows


def corpora(root: Path, more: bool = False) -> dict[str, list[str]]:
    """The texts measured, by corpus name."""
    found = {
        "rgb_zh passages (first 1,500)": [r["text"] for r in _rows(root / "rgb_zh" / "corpus.jsonl", 1500)],
        "financebench_en questions": [r["text"] for r in _rows(root / "financebench_en" / "dev" / "queries.jsonl")],
        "financebench_en pages (first 500)": [r["text"] for r in _rows(root / "financebench_en" / "corpus_pages.jsonl",
                                                                        500)],
    }
    if more:
        found["cmrc2018_zh passages"] = [r["text"] for r in _rows(root / "cmrc2018_zh" / "corpus.jsonl")]
        found["cmrc2018_zh questions"] = [r["text"] for r in _rows(root / "cmrc2018_zh" / "dev" / "queries.jsonl")]
        found["hotpotqa_multihop_en passages"] = [r["text"] for r in _rows(root / "hotpotqa_multihop_en" / "corpus.jsonl")]
    return found


def measure(texts: list[str]) -> dict:
    flagged = []
    start = time.perf_counter()
    for i, text in enumerate(texts):
        finding = detect_injection(text)
        if finding is not None:
            flagged.append({"index": i, "reason": finding.reason, "excerpt": finding.excerpt})
    elapsed = time.perf_counter() - start
    return {"texts": len(texts), "flagged": flagged, "ms_per_text": 1000 * elapsed / max(1, len(texts))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset-dir", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--more", action="store_true", help="also cmrc2018_zh and hotpotqa_multihop_en")
    parser.add_argument("--json", type=Path, help="write the full results here too")
    args = parser.parse_args(argv)
    detect_injection("预热文本，没有任何指令。")  # load the weights before timing
    results = {name: measure(texts) for name, texts in corpora(args.dataset_dir, args.more).items()}
    print("| corpus | texts | flagged | ms per text |")
    print("|---|---|---|---|")
    for name, result in results.items():
        print(f"| {name} | {result['texts']} | {len(result['flagged'])} | {result['ms_per_text']:.1f} |")
    for name, result in results.items():
        for item in result["flagged"]:
            print(f"  - {name} #{item['index']}: {item['reason']} | {item['excerpt']}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
