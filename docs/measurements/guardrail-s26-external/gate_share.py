"""How many positives of C-G the structural gate (0.2) keeps from the whole-text stage (aggregate counts only)."""
import pickle, sys, __main__
from zhiku.guardrails.text_training import Described
__main__.Described = Described
from zhiku.guardrails.text_training import LOSO_SETS, labelled
known = pickle.load(open("/tmp/s26-inject12-run/described.pkl", "rb"))
for name in LOSO_SETS:
    rows = labelled(name)
    pos = [known[c["text"]] for c in rows if c["injection"] and c["text"] in known]
    neg = [known[c["text"]] for c in rows if not c["injection"] and c["text"] in known]
    print(name, f"positives {len(pos)}: rules/structure flag {sum(d.before_rules() for d in pos)}, "
          f"below gate 0.2 {sum(d.structure_p < 0.2 for d in pos)}, countered {sum(d.countered for d in pos)}; "
          f"negatives {len(neg)} below gate {sum(d.structure_p < 0.2 for d in neg)}")
