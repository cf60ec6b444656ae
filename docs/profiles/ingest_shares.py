"""Shares of an ingestion profile by step (docs/profiles/README.md, fifth sitting): the non-waiting samples of the job,
graph, lease and upload threads of `profile_ingest.py` under py-spy, each stack counted in the first step it matches.

    python docs/profiles/ingest_shares.py api80.raw
"""
import sys, re
from collections import Counter
IDLE = ("Condition.wait", "Event.wait", "Queue.get", "_PollLikeSelector.select", "_wait_for_io", "BoltSocketBase._wait_for_read", "lock.acquire")
cats = [
 ("embedding: chunks (model)", lambda s: "E5._encode" in s and "flag_injections" not in s and "upload" not in s),
 ("injection stage: its sentences through the model", lambda s: "E5._encode" in s and "flag_injections" in s),
 ("injection stage: the rest (readings, structure, n-grams)", lambda s: "flag_injections" in s),
 ("upload use case (KnowledgeService.upload)", lambda s: "KnowledgeService.upload" in s),
 ("graph: rule extraction + resolution", lambda s: "GraphBuilder._extract" in s),
 ("graph: writes (Bolt driver, Python side)", lambda s: "GraphStore.write_documents" in s or "GraphBuilder._write" in s),
 ("jobs ended (finish_jobs) + graph-stage reports", lambda s: "finish_jobs" in s or "report_progress_many" in s and "IngestionPipeline.finish" in s),
 ("claims", lambda s: "claim_job" in s),
 ("parse + chunk", lambda s: "parse_document" in s or ".chunk (" in s or "StructuredChunker" in s),
 ("BM25 terms (encode_chunk)", lambda s: "encode_chunk" in s),
 ("index write (upsert) + make live + discard", lambda s: "upsert" in s or "make_live" in s or "EdgeVectorStore" in s or "SharedEdge" in s),
 ("embedding cache (SQLite get/put)", lambda s: "EmbeddingCache" in s),
 ("other metadata SQL in the job (documents, kb, mark indexed, progress)", lambda s: "metadata_store" in s),
 ("lease keepers", lambda s: "_LeaseKeeper" in s),
]
tot = Counter(); n_all = 0
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    leaf = stack.rsplit(";", 1)[-1]
    if any(i in leaf for i in IDLE): continue
    if not any(t in stack.split(";")[0] for t in ("ingest-small", "graph-small", "MainThread", "lease-")): continue
    if "MainThread" in stack.split(";")[0] and "KnowledgeService.upload" not in stack and "wait_idle" not in stack: continue
    n = int(n); n_all += n
    for name, test in cats:
        if test(stack):
            tot[name] += n; break
    else:
        tot["other"] += n
for name, _ in cats + [("other", None)]:
    print(f"| {name} | {tot[name]} | {100*tot[name]/n_all:.1f}% |")
print("total", n_all)
