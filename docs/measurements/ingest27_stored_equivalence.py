"""What the API path stores for the bench's 80 rgb_zh documents, with ids replaced by names, to check that two code
versions store the same thing (issue #14 point 6, session 27: the pipeline's bookkeeping changed, not its output).

    PYTHONPATH=<main's code> python docs/measurements/ingest27_stored_equivalence.py /tmp/eq-main > main.json
    python docs/measurements/ingest27_stored_equivalence.py /tmp/eq-branch > branch.json
    cmp main.json branch.json

Dumped: every document's metadata row (status, hashes, chunk count; its job's status and attempts), every point's
payload (document and knowledge-base ids replaced by the document's name / "kb"), every embedding the cache holds
(text hash → vector bytes hash: the points' vectors come from it), and the graph: entities (name, type, aliases,
mentions), facts (type, subject, object, support), mentions and supports by document name and chunk."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from pathlib import Path

from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.runtime import Runtime
from zhiku.core.settings import get_settings
from zhiku.evaluation import ingest_benchmark as bench
from zhiku.index.vector_store import ChunkFilter


def main(workdir: str) -> None:
    base = Path(workdir)
    documents = bench.write_documents(Path("/work/shared/eval/rgb_zh/corpus.jsonl"), 80, base / "documents")
    runtime = Runtime(bench._fresh(get_settings(), base / "data"))
    bench._warm(runtime)
    runtime.start()
    service = KnowledgeService(runtime)
    kb = service.create_kb("bench-ingest")
    for path in documents:
        service.upload(kb.id, path.name, path.read_bytes())
    runtime.jobs.wait_idle()
    rows = runtime.metadata.list_documents(kb.id)
    names = {d.id: d.name for d in rows}
    jobs = runtime.metadata.latest_jobs(list(names))

    def plain(value):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        for document_id, name in names.items():
            text = text.replace(document_id, name)
        return json.loads(text.replace(kb.id, "kb"))

    out: dict = {"documents": sorted(
        [d.name, d.status, d.content_hash, d.indexed_hash, d.chunk_count, d.page_count, d.error,
         jobs[d.id].status, jobs[d.id].attempts, jobs[d.id].error] for d in rows)}
    points = runtime.vector_store.fetch(ChunkFilter(kb_ids=[kb.id]), limit=10_000)
    # a chunk's point id (the graph's chunk id) is derived from the random document id: name it by document and index
    names.update({p.point_id: f"{names[p.payload['document_id']]}#{p.payload['chunk_index']}" for p in points})
    out["points"] = sorted(json.dumps(plain(p.payload), ensure_ascii=False, sort_keys=True) for p in points)
    cache = sqlite3.connect(str(next(Path(runtime.settings.data_dir).rglob("embeddings.sqlite"))))
    out["embeddings"] = sorted(f"{key} {hashlib.sha256(blob).hexdigest()}"
                               for key, blob in cache.execute("SELECT text_sha256, vector FROM embeddings"))
    with runtime.graph_store._session() as session:
        def read(query: str) -> list:
            return sorted(json.dumps(plain(list(r.values())), ensure_ascii=False) for r in session.run(query, kb=kb.id))
        out["entities"] = read("MATCH (e:Entity {kb_id: $kb}) RETURN e.name, e.type, e.aliases, e.mentions")
        out["facts"] = read("MATCH (f:Fact {kb_id: $kb}) MATCH (s:Entity {key: f.subject_key}) "
                            "MATCH (o:Entity {key: f.object_key}) RETURN f.type, s.name, o.name, f.support")
        out["mentions"] = read("MATCH (e:Entity {kb_id: $kb})-[m:MENTIONED_IN]->(c:Chunk) "
                               "RETURN e.name, m.names, c.document_id, c.chunk_id")
        out["supports"] = read("MATCH (f:Fact {kb_id: $kb})-[:SUPPORTED_BY]->(c:Chunk) "
                               "MATCH (s:Entity {key: f.subject_key}) MATCH (o:Entity {key: f.object_key}) "
                               "RETURN f.type, s.name, o.name, c.document_id, c.chunk_id")
    runtime.close()
    print(json.dumps({k: len(v) for k, v in out.items()}), file=sys.stderr)
    print(json.dumps(out, ensure_ascii=False, indent=0, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
