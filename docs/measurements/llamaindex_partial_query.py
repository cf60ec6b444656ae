"""LlamaIndex queries over the partial 100k collection (the build died at 62,761 points): same code as
measure_llamaindex's query part, no build."""
import json, sys, time
from pathlib import Path
from zhiku.evaluation import search_benchmark as sb
from zhiku.index.sparse_encoder import build_sparse_encoder
from llama_index.core import Settings as LlamaSettings, VectorStoreIndex
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.vector_stores import ExactMatchFilter, MetadataFilters
from llama_index.vector_stores.qdrant import QdrantVectorStore
from qdrant_client import QdrantClient
folder = Path(sys.argv[1]); budget = float(sys.argv[2])
pool = sb.SentencePool.load(Path("/work/shared/eval")); sparse = build_sparse_encoder("jieba-bm25")
embed = sb.ProjectingEmbedder(sparse, sb.Projector())
class Projection(BaseEmbedding):
    def _get_query_embedding(self, q): return embed.embed_query(q).tolist()
    def _get_text_embedding(self, t): return embed.embed_query(t).tolist()
    async def _aget_query_embedding(self, q): return self._get_query_embedding(q)
LlamaSettings.embed_model = Projection(model_name="projection")
t = time.perf_counter()
client = QdrantClient(path=str(folder / "llamaindex" / "qdrant"))
points = client.count("chunks").count
open_s = time.perf_counter() - t
index = VectorStoreIndex.from_vector_store(QdrantVectorStore(client=client, collection_name="chunks"))
times = []; end = time.perf_counter() + budget
for i, q in enumerate(sb._queries(pool, 200)):
    if len(times) >= 20 and time.perf_counter() > end: break
    r = index.as_retriever(similarity_top_k=10, filters=MetadataFilters(filters=[ExactMatchFilter(key="kb_id", value=f"kb{i % 20:02d}")]))
    s = time.perf_counter(); r.retrieve(q); times.append((time.perf_counter() - s) * 1000)
print(json.dumps({"points": points, "open_seconds": round(open_s, 1), "ms": sb._percentiles(times), "queries": len(times), "rss_mb": sb._rss_mb()}))
client.close()
