"""Precision and recall of the guardrail detectors on the labelled sets in guardrails/data/:
guardrail_cases.jsonl (development: the detectors were tuned on it), guardrail_holdout.jsonl (held-out A: written
by another author than the current injection rules, but partly seen while they were written — docs/benchmarks.md
says which texts) and guardrail_holdout_b.jsonl (held-out B: written before the current injection rules and
frozen, but by their author); guardrail_holdout_c.jsonl and guardrail_holdout_d.jsonl (held-out C and D: written
by an annotator who never saw the detectors, their data or their figures, see guardrails/data/HOLDOUT_CD.md). C's
misses may be read to improve the detectors; D, E (guardrails/data/HOLDOUT_E.md, written later by another such
annotator after D was spent) and F (guardrails/data/HOLDOUT_F.md, written by a further such annotator) are final
checks, so only their figures are printed, never their cases; so is G (guardrails/data/HOLDOUT_G.md, a later set by
another such annotator).

Since session 25 (branch s25-inject12) C, D, E, F and G are **training data**: the injection detector's whole-text
stage (guardrails/text_training.py) is fitted on them, and its choices are made by leave-one-set-out over them. They
are spent as independent tests; their figures here are fitted figures, and their cases are printed like the
development set's. Since session 27 (branch s27-inject12) so is H (guardrails/data/HOLDOUT_H.md): run six times as
figures only, it was moved to the training side the same way, and leave-one-set-out runs over C–H. The independent
measures left in this folder are I (guardrails/data/HOLDOUT_I.md) and J (HOLDOUT_J.md), which the detectors' authors
did not open, and any later set: figures only.

    python -m zhiku.evaluation.guardrail_eval [--sets development "held-out C"]

Injection: per text (flagged or not). Personal data: per item, a found item counting as correct when its kind and
its text are the labelled ones; reported over all kinds and per kind. A telephone number's country prefix (+86, 0086)
may or may not be inside either span: set F labels it with the number, the detectors may not, and either masks the
number, so it is left out of both before they are compared. Misses and false alarms are listed, so the
figures can be checked case by case.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from zhiku.guardrails.injection import detect_injection
from zhiku.guardrails.pii import find_pii

DATA = Path(__file__).resolve().parent.parent / "guardrails" / "data"
SETS = {"development": DATA / "guardrail_cases.jsonl", "held-out": DATA / "guardrail_holdout.jsonl",
        "held-out B": DATA / "guardrail_holdout_b.jsonl", "held-out C": DATA / "guardrail_holdout_c.jsonl",
        "held-out D": DATA / "guardrail_holdout_d.jsonl", "held-out E": DATA / "guardrail_holdout_e.jsonl",
        "held-out F": DATA / "guardrail_holdout_f.jsonl", "held-out G": DATA / "guardrail_holdout_g.jsonl",
        "held-out H": DATA / "guardrail_holdout_h.jsonl", "held-out I": DATA / "guardrail_holdout_i.jsonl",
        "held-out J": DATA / "guardrail_holdout_j.jsonl",
        "held-out K": DATA / "guardrail_holdout_k.jsonl"}
# Sets whose individual cases must stay unseen by whoever improves the detectors: figures only. D was evaluated
# twice while the embedding stage was built and counts as spent; E (HOLDOUT_E.md) replaces it; F (HOLDOUT_F.md) was
# written by a further annotator who never saw the detectors (HOLDOUT_F.md lists what it opened); G (HOLDOUT_G.md) by
# yet another such annotator, who read the descriptions of C–F but none of their texts; H (HOLDOUT_H.md) by a further
# one, who read the descriptions of C–G but none of their texts. Since session 25, C–G are training data of the
# whole-text stage (spent as independent tests, see the docstring), and since session 27 H is too (run six times,
# figures only, before it was moved). I (HOLDOUT_I.md, written in session 25 by a further annotator who read the
# descriptions of C–H but none of their texts), J (HOLDOUT_J.md, session 26) and K (HOLDOUT_K.md, session 27, by an
# annotator who read the earlier sets' descriptions and none of their texts) stay figures-only.
FIGURES_ONLY = frozenset({"held-out I", "held-out J", "held-out K"})


def load_cases(path: Path = SETS["development"]) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


_COUNTRY_PREFIX = re.compile(r"^(?:\+|＋|00)86[\s\-]*")


def _comparable(kind: str, text: str) -> tuple[str, str]:
    if kind in ("mobile", "landline"):
        text = _COUNTRY_PREFIX.sub("", text)
    return kind, text


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def evaluate(cases: list[dict]) -> dict:
    injection = Counter()
    injection_errors = []
    pii = Counter()
    pii_kind: dict[str, Counter] = {}
    pii_errors = []
    for case in cases:
        flagged = detect_injection(case["text"]) is not None
        injection[("tp" if case["injection"] else "fp") if flagged else ("fn" if case["injection"] else "tn")] += 1
        if flagged != case["injection"]:
            injection_errors.append(("missed" if case["injection"] else "false alarm", case["id"], case["text"]))
        expected = {_comparable(item["kind"], item["text"]) for item in case["pii"]}
        found = {_comparable(match.kind.value, match.text) for match in find_pii(case["text"])}
        for kind, text in expected | found:
            counts = pii_kind.setdefault(kind, Counter())
            outcome = "tp" if (kind, text) in expected and (kind, text) in found else (
                "fn" if (kind, text) in expected else "fp")
            counts[outcome] += 1
            pii[outcome] += 1
            if outcome != "tp":
                pii_errors.append(("missed" if outcome == "fn" else "false alarm", case["id"], kind, text))
    return {
        "cases": len(cases),
        "languages": dict(Counter(case["lang"] for case in cases)),
        "injection": {"positives": injection["tp"] + injection["fn"], "negatives": injection["tn"] + injection["fp"],
                      "precision": _ratio(injection["tp"], injection["tp"] + injection["fp"]),
                      "recall": _ratio(injection["tp"], injection["tp"] + injection["fn"])},
        "pii": {"items": pii["tp"] + pii["fn"], "precision": _ratio(pii["tp"], pii["tp"] + pii["fp"]),
                "recall": _ratio(pii["tp"], pii["tp"] + pii["fn"]),
                "by_kind": {kind: {"items": c["tp"] + c["fn"], "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
                                   "recall": _ratio(c["tp"], c["tp"] + c["fn"])} for kind, c in sorted(pii_kind.items())}},
        "injection_errors": injection_errors,
        "pii_errors": pii_errors,
    }


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS),
                        help="which labelled sets to measure (default: all; leave I, J and K out while tuning)")
    args = parser.parse_args(argv)
    results = {name: evaluate(load_cases(SETS[name])) for name in args.sets}
    print("| set | detector | labelled | precision | recall |")
    print("|---|---|---|---|---|")
    for name, result in results.items():
        languages = ", ".join(f"{k} {v}" for k, v in result["languages"].items())
        inj = result["injection"]
        print(f"| {name} ({result['cases']} texts: {languages}) | prompt injection (texts) | {inj['positives']} "
              f"positive, {inj['negatives']} negative | {inj['precision']:.3f} | {inj['recall']:.3f} |")
        pii = result["pii"]
        print(f"| {name} | personal data, all kinds (items) | {pii['items']} | {pii['precision']:.3f} | "
              f"{pii['recall']:.3f} |")
        for kind, figures in pii["by_kind"].items():
            print(f"| {name} | · {kind} | {figures['items']} | {figures['precision']:.3f} | {figures['recall']:.3f} |")
    for name, result in results.items():
        if name in FIGURES_ONLY:
            continue
        for error in result["injection_errors"] + result["pii_errors"]:
            print(f"  - {name}:", " | ".join(str(part) for part in error))


if __name__ == "__main__":
    main()
