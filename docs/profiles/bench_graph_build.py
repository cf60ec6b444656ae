"""build_graph at a size with a progress log and CPU seconds: python docs/profiles/bench_graph_build.py <folder> <size> <processes>"""
import json, sys, time
from pathlib import Path
from zhiku.core.settings import get_settings
from zhiku.evaluation.search_benchmark import SentencePool, build_graph
folder, size, processes = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
folder.mkdir(parents=True, exist_ok=True)
marks = []
t = time.perf_counter()
def progress(done, total):
    if not marks or done - marks[-1][0] >= 2000 or done == total:
        marks.append((done, round(time.perf_counter() - t, 1)))
rec = build_graph(folder, size, SentencePool.load(Path('/work/shared/eval')), get_settings(), progress, processes)
rec["marks"] = marks
print(json.dumps(rec))
import resource
for name, who in (("self", resource.RUSAGE_SELF), ("children", resource.RUSAGE_CHILDREN)):
    u = resource.getrusage(who)
    print(json.dumps({"cpu": name, "user_s": round(u.ru_utime, 1), "sys_s": round(u.ru_stime, 1)}))
