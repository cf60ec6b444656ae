"""Experiment: under 'path', the gap is judged against the least dense-similar staying hit (which leaves), not the lowest-ranked."""
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
