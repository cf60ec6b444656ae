"""Rule extraction + resolver CPU per chunk, as the bench graph build runs it: python docs/profiles/graph_extraction_cost.py"""
import time, json
from pathlib import Path
from zhiku.core.settings import get_settings
from zhiku.evaluation import search_benchmark as sb
from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory
s = get_settings()
sb._WORK.update(pool=sb.SentencePool.load(Path('/work/shared/eval')), extractor=make_extractor(s), resolvers=make_resolver_factory(s), size=2000)
sb._document_facts(0)
t = time.process_time(); w = time.perf_counter()
for d in range(40, 2000, 40): sb._document_facts(d)
print(json.dumps({"extraction_cpu_ms_per_chunk": round((time.process_time()-t)/1960*1000, 2), "wall_ms_per_chunk": round((time.perf_counter()-w)/1960*1000, 2)}))
