"""Real-text false alarms of the band rule (a candidate asked only where the structural reading gives at least L and
the current detector does not flag): scores only the guardrail-cost passages in the band.

    python band_real.py guardify.json nanoguard jailguard     # guardify.json: score_candidates.py --more output
"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from score_candidates import SCORERS
from zhiku.evaluation.guardrail_cost import corpora

cached = json.load(open(sys.argv[1]))
texts = corpora(Path("/work/shared/eval"), True)
for cand in sys.argv[2:]:
    scorer = SCORERS[cand]()
    print("#", cand)
    for name, c in cached["corpora"].items():
        idx = [i for i, (cur, st) in enumerate(zip(c["current"], c["structure"])) if not cur and st >= 0.5]
        t0 = time.process_time()
        scores = scorer.score([texts[name][i] for i in idx]) if idx else []
        cpu = time.process_time() - t0
        counts = {}
        for L in (0.5, 0.7, 0.8):
            for T in (0.9, 0.99):
                counts[f"L{L}/T{T}"] = sum(1 for i, s in zip(idx, scores) if c["structure"][i] >= L and s >= T)
        print(f"| {name} | {len(c['current'])} | in band >=0.5: {len(idx)} (>=0.8: {sum(c['structure'][i] >= 0.8 for i in idx)}) | {counts} | {cpu:.1f}s |")
        for i, s in zip(idx, scores):
            if c["structure"][i] >= 0.7 and s >= 0.9:
                print("   ", i, round(c["structure"][i], 3), round(s, 3), texts[name][i][:150].replace("\n", " "))
