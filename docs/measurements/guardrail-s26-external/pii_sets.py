"""PII precision/recall on the training sets dev, A-G (never H, I): main's detector vs this branch's."""
import importlib.util, json, sys
from collections import Counter
from pathlib import Path
from zhiku.evaluation.guardrail_eval import SETS, _comparable, load_cases
from zhiku.guardrails import pii as branch
spec = importlib.util.spec_from_file_location("pii_main", "/tmp/s26-inject12-run/pii_main.py")
main_pii = importlib.util.module_from_spec(spec); sys.modules["pii_main"] = main_pii; spec.loader.exec_module(main_pii)
names = ["development", "held-out", "held-out B", "held-out C", "held-out D", "held-out E", "held-out F", "held-out G"]
for label, module in (("main", main_pii), ("branch", branch)):
    total = Counter()
    row = []
    for name in names:
        c = Counter()
        for case in load_cases(SETS[name]):
            expected = {_comparable(i["kind"], i["text"]) for i in case["pii"]}
            found = {_comparable(m.kind.value, m.text) for m in module.find_pii(case["text"])}
            c["tp"] += len(expected & found); c["fn"] += len(expected - found); c["fp"] += len(found - expected)
        total += c
        row.append(f"{name} {c['tp']/max(1,c['tp']+c['fp']):.3f}/{c['tp']/max(1,c['tp']+c['fn']):.3f}")
    print(label, "; ".join(row), f"| pooled P {total['tp']/(total['tp']+total['fp']):.4f} R {total['tp']/(total['tp']+total['fn']):.4f} (tp {total['tp']} fn {total['fn']} fp {total['fp']})")
