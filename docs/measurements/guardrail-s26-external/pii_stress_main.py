"""The stress set of this branch, scored with main's detector (git show main:guardrails/pii.py)."""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("pii_main", "/tmp/s26-inject12-run/pii_main.py")
m = importlib.util.module_from_spec(spec); sys.modules["pii_main"] = m; spec.loader.exec_module(m)
import zhiku.evaluation.pii_stress as s
s.find_pii, s.mask, s.PiiKind = m.find_pii, m.mask, m.PiiKind
for seed in (1207, 20261207):
    cases = s.generate(seed)
    r = s.evaluate(cases); r3 = s.evaluate([c for c in cases if c.round == 3])
    print(f"seed {seed}: all {r['items']} items recall {r['recall']:.4f} precision {r['precision']:.4f} fa {r['false_alarms']} leaks {r['mask_leaks']}; round 3 {r3['items']} items recall {r3['recall']:.4f} fa {r3['false_alarms']}")
