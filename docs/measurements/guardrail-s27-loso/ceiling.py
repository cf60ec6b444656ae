import pickle, json, __main__
from pathlib import Path
from zhiku.guardrails.text_training import Described, labelled, LOSO_SETS
__main__.Described = Described
known = pickle.loads(Path("/tmp/s27i/described.pkl").read_bytes())
for n in LOSO_SETS:
    cases = labelled(n)
    fp = sum(1 for c in cases if not c["injection"] and known[c["text"]].before_rules())
    tp = sum(1 for c in cases if c["injection"] and known[c["text"]].before_rules())
    pos = sum(c["injection"] for c in cases)
    # the best precision any stage after them can reach: all positives found, the fixed false alarms kept
    print(f"{n}: rules+structure alone flag {tp}/{pos} positives and {fp} negatives; precision with every positive found {pos/(pos+fp):.3f}")
