"""CPU time of find_pii per text, main's detector vs this branch's, on the first 1,500 rgb_zh passages and 500
financebench pages (../shared/eval; the texts guardrail_cost reads)."""
import importlib.util, json, sys, time
from pathlib import Path
spec = importlib.util.spec_from_file_location("pii_main", sys.argv[1])
main_pii = importlib.util.module_from_spec(spec); sys.modules["pii_main"] = main_pii; spec.loader.exec_module(main_pii)
from zhiku.guardrails import pii as branch
root = Path(sys.argv[2])
corpora = {"rgb_zh": [json.loads(l)["text"] for l in (root / "rgb_zh/corpus.jsonl").open(encoding="utf-8")][:1500],
           "financebench pages": [json.loads(l)["text"] for l in (root / "financebench_en/corpus_pages.jsonl").open(encoding="utf-8")][:500]}
for name, texts in corpora.items():
    for label, module in (("main", main_pii), ("branch", branch), ("main", main_pii), ("branch", branch)):
        started = time.process_time()
        for t in texts:
            module.find_pii(t)
        print(f"{name} {label}: {1000 * (time.process_time() - started) / len(texts):.2f} ms per text")
