import json, sys
for path in sys.argv[1:]:
    d = json.load(open(path)); print("#", d["candidate"])
    print("| band lower L | model T | " + " | ".join(f"{n} +TP/+FP" for n in d["sets"]) + " |")
    for L in (0.2, 0.5, 0.7, 0.8, 0.9):
        for T in (None, 0.5, 0.9, 0.99, 0.999):
            cells = []
            for n, s in d["sets"].items():
                tp = fp = 0
                for lab, cur, sc, st in zip(s["label"], s["current"], s["score"], s["structure"]):
                    if cur or st < L or (T is not None and sc < T):
                        continue
                    tp += lab; fp += not lab
                cells.append(f"+{tp}/+{fp}")
            print(f"| {L} | {'(none: band alone)' if T is None else T} | " + " | ".join(cells) + " |")
