"""Precision/recall of a candidate alone and combined with the current detector, from score_candidates.py output."""
from __future__ import annotations

import json
import sys

THRESHOLDS = [0.5, 0.7, 0.9, 0.95, 0.99, 0.999]


def pr(flags, labels):
    tp = sum(f and l for f, l in zip(flags, labels))
    fp = sum(f and not l for f, l in zip(flags, labels))
    fn = sum(l and not f for f, l in zip(flags, labels))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, tp, fp, fn


def main(path: str) -> None:
    d = json.load(open(path))
    print("#", d["candidate"], f"load CPU {d['load_cpu_s']:.1f}s")
    print("| set | lang | current P/R | model alone @0.5 | @0.9 | @0.99 | current OR model@0.9 | OR @0.99 | band(0.2..thr) AND model@0.9 |")
    for name, s in d["sets"].items():
        for lang in (None, "zh", "en"):
            idx = [i for i, l in enumerate(s["lang"]) if lang is None or l == lang]
            if not idx:
                continue
            lab = [s["label"][i] for i in idx]
            cur = [s["current"][i] for i in idx]
            sc = [s["score"][i] for i in idx]
            st = [s["structure"][i] for i in idx]
            row = [name, lang or "all", "%.3f/%.3f" % pr(cur, lab)[:2]]
            for t in (0.5, 0.9, 0.99):
                row.append("%.3f/%.3f" % pr([x >= t for x in sc], lab)[:2])
            for t in (0.9, 0.99):
                row.append("%.3f/%.3f" % pr([c or x >= t for c, x in zip(cur, sc)], lab)[:2])
            row.append("%.3f/%.3f" % pr([c or (x >= 0.9 and y >= 0.2) for c, x, y in zip(cur, sc, st)], lab)[:2])
            print("| " + " | ".join(row) + " |")
    print()
    print("| corpus | texts | current flagged | model flagged @0.5/0.9/0.99/0.999 | new alarms OR@0.9 / @0.99 | band AND @0.9 | CPU ms/text | CPU ms/1k chars |")
    for name, c in d["corpora"].items():
        sc = c["score"]
        cur = c.get("current") or [False] * len(sc)
        st = c.get("structure") or [0.0] * len(sc)
        flagged = "/".join(str(sum(x >= t for x in sc)) for t in (0.5, 0.9, 0.99, 0.999))
        new = "/".join(str(sum((x >= t) and not k for x, k in zip(sc, cur))) for t in (0.9, 0.99))
        band = sum((x >= 0.9 and y >= 0.2) and not k for x, y, k in zip(sc, st, cur))
        print(f"| {name} | {c['texts']} | {sum(cur)} | {flagged} | {new} | {band} | {1000 * c['cpu_s'] / c['texts']:.1f} | "
              f"{1e6 * c['cpu_s'] / max(1, c['chars']):.1f} |")


if __name__ == "__main__":
    main(sys.argv[1])
