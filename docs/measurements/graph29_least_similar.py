"""Issue #16, session 29 — an experiment, not the shipped rule: under the gate 'path' a graph chunk is judged against
the least dense-similar first-stage hit below the head (which leaves for it), not against the lowest-ranked one, so the
gate depends on which hits are shown and not on the second stage's order among them. Runs graph29_eval.py with
`HybridRetriever._leaves_for` replaced (docs/benchmarks.md, issue #16, session 29). Usage:

    ZHIKU_DATA_DIR=<copy> python graph29_least_similar.py docs/measurements/graph29_eval.py <BEIR set> <output.json> \
        "path:gate=path,max_similarity_gap=0"
(copy the set's <output>.candidates.pkl from a graph29_eval.py run to reuse its candidates)
"""
import sys, runpy
from zhiku.retrieval import hybrid_retriever as hr
from zhiku.retrieval.graph_gate import about_its_evidence, unconnected
from zhiku.retrieval.search_hit import SearchHit
def _leaves_for(graph_chunk, staying, allowed, evidence, shown):
    if not staying:
        return None
    least = min(reversed(staying), key=lambda h: h.scores.dense if h.scores.dense is not None else float("-inf"))
    if graph_chunk.score >= (least.scores.dense or float("-inf")) - allowed:
        return least
    if not about_its_evidence(SearchHit.from_point(graph_chunk.point_id, graph_chunk.payload), evidence, shown):
        return None
    bridges = evidence.bridges.get(graph_chunk.point_id, set())
    return next((h for h in reversed(staying) if unconnected(h, evidence, bridges)), None)
hr.HybridRetriever._leaves_for = staticmethod(_leaves_for)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
