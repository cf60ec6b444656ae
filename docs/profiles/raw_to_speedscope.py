"""py-spy's raw (collapsed) output with --threads → a speedscope file, one sampled profile per thread (the first
frame of each stack names the thread), so the same recording serves ingest_shares.py and https://www.speedscope.app:

    python docs/profiles/raw_to_speedscope.py api80.raw api80.speedscope.json   # then gzip it
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict


def convert(raw_path: str, out_path: str, rate_hz: int = 100) -> None:
    frames: list[dict] = []
    index: dict[str, int] = {}
    by_thread: dict[str, tuple[list[list[int]], list[int]]] = defaultdict(lambda: ([], []))
    for line in open(raw_path, encoding="utf-8"):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        thread, *names = stack.split(";")
        ids = []
        for name in names:
            if name not in index:
                index[name] = len(frames)
                function, _, where = name.partition(" (")
                file, _, number = where.rstrip(")").rpartition(":")
                frame = {"name": function}
                if file:
                    frame["file"] = file
                    if number.isdigit():
                        frame["line"] = int(number)
                frames.append(frame)
            ids.append(index[name])
        samples, weights = by_thread[thread]
        samples.append(ids)
        weights.append(int(count))
    profiles = [{"type": "sampled", "name": thread, "unit": "seconds", "startValue": 0,
                 "endValue": sum(weights) / rate_hz, "samples": samples,
                 "weights": [w / rate_hz for w in weights]}
                for thread, (samples, weights) in sorted(by_thread.items(), key=lambda t: -sum(t[1][1]))]
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump({"$schema": "https://www.speedscope.app/file-format-schema.json", "shared": {"frames": frames},
                   "profiles": profiles, "name": raw_path, "exporter": "zhiku raw_to_speedscope.py"}, out)


if __name__ == "__main__":
    convert(sys.argv[1], sys.argv[2])
