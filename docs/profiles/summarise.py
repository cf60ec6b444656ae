"""Summary of a py-spy raw (collapsed) profile: of the samples inside `--root` (a function name), the share each
function takes inclusive (anywhere on the stack) and exclusive (at the top). `python docs/profiles/summarise.py
profile.txt --root retrieve`."""
from __future__ import annotations

import re
import sys
from collections import Counter


def frames(stack: str) -> list[str]:
    out = []
    for frame in stack.split(";"):
        match = re.match(r"(.+?) \((.+?)(?::\d+)?\)$", frame.strip())
        name, where = (match.group(1), match.group(2)) if match else (frame.strip(), "")
        where = where.split("site-packages/")[-1].split("search14/")[-1]
        out.append(f"{name} ({where})")
    return out


def main(path: str, root: str, top: int = 30) -> None:
    inclusive, exclusive, total = Counter(), Counter(), 0
    for line in open(path, encoding="utf-8"):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack:
            continue
        names = frames(stack)
        starts = [i for i, f in enumerate(names) if f.startswith(root + " ")]
        if not starts:
            continue
        names = names[starts[0]:]
        n = int(count)
        total += n
        for f in set(names):
            inclusive[f] += n
        exclusive[names[-1]] += n
    print(f"{total} samples inside {root}")
    print("inclusive:")
    for f, n in inclusive.most_common(top):
        print(f"  {100 * n / total:5.1f}%  {f}")
    print("exclusive (self):")
    for f, n in exclusive.most_common(15):
        print(f"  {100 * n / total:5.1f}%  {f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    root = args[args.index("--root") + 1] if "--root" in args else "retrieve"
    main(args[0], root)
