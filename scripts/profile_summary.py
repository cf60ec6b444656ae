"""Summarise a py-spy raw (collapsed-stack) profile: the functions where time is spent, by inclusive and by self
share of the samples. Usage: python scripts/profile_summary.py profile.raw [top N] [--only SUBSTRING]"""
from __future__ import annotations

import re
import sys
from collections import Counter


def main(path: str, top: int = 25, only: str | None = None) -> None:
    inclusive, leaf, total = Counter(), Counter(), 0
    for line in open(path, encoding="utf-8"):
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or (only and only not in stack):
            continue
        frames = [re.sub(r" \((.*?/)?(site-packages/|wt/scale/)?", " (", f) for f in stack.split(";")]
        n = int(count)
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        leaf[frames[-1]] += n
    print(f"{total} samples\n\n| inclusive | self | function (file:line) |\n|---:|---:|---|")
    for frame, n in inclusive.most_common(top):
        print(f"| {100 * n / total:.1f}% | {100 * leaf[frame] / total:.1f}% | `{frame}` |")


if __name__ == "__main__":
    args = sys.argv[1:]
    only = args[args.index("--only") + 1] if "--only" in args else None
    args = [a for a in args if a not in ("--only", only)]
    main(args[0], int(args[1]) if len(args) > 1 else 25, only)
