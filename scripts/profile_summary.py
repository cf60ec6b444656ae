"""Summarise a py-spy raw (collapsed-stack) profile: the functions where time is spent, by inclusive and by self
share of the samples.

    python scripts/profile_summary.py profile.raw [top N] [--only SUBSTRING] [--root FUNCTION] [--per-function]

--only keeps the stacks that contain SUBSTRING (a thread's name, a frame); --root keeps the stacks that pass
through FUNCTION and counts them from its frame down, so shares are of the time inside it; --per-function drops the
line numbers, so a function's lines add up to one row."""
from __future__ import annotations

import re
import sys
from collections import Counter


def _frame(raw: str, per_function: bool) -> str:
    frame = re.sub(r" \((.*?/)?(site-packages/|wt/[^/]+/)?", " (", raw.strip())
    return re.sub(r":\d+\)$", ")", frame) if per_function else frame


def main(path: str, top: int = 25, only: str | None = None, root: str | None = None,
         per_function: bool = False) -> None:
    inclusive, leaf, total = Counter(), Counter(), 0
    for line in open(path, encoding="utf-8"):
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or (only and only not in stack):
            continue
        frames = [_frame(f, per_function) for f in stack.split(";")]
        if root:
            starts = [i for i, f in enumerate(frames) if f.startswith(root + " ")]
            if not starts:
                continue
            frames = frames[starts[0]:]
        n = int(count)
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        leaf[frames[-1]] += n
    scope = f" inside {root}" if root else ""
    print(f"{total} samples{scope}\n\n| inclusive | self | function (file:line) |\n|---:|---:|---|")
    for frame, n in inclusive.most_common(top):
        print(f"| {100 * n / max(total, 1):.1f}% | {100 * leaf[frame] / max(total, 1):.1f}% | `{frame}` |")


if __name__ == "__main__":
    args = sys.argv[1:]
    options = {}
    for name in ("--only", "--root"):
        if name in args:
            at = args.index(name)
            options[name[2:]] = args[at + 1]
            del args[at:at + 2]
    per_function = "--per-function" in args
    args = [a for a in args if a != "--per-function"]
    main(args[0], int(args[1]) if len(args) > 1 else 25, options.get("only"), options.get("root"), per_function)
