"""The knowledge graph through the service: built by the ingestion job, served by /graph, cleaned up on delete.

Real engines: the Bolt server of the session (ArcadeDB, or ZHIKU_TEST_NEO4J_URI), the embedding model, Qdrant."""
from __future__ import annotations

from tests.conftest import wait_for_job

GUARANTEE = ("# 授信调查报告\n\n北京华远置业有限公司向中国邮政储蓄银行北京分行申请流动资金贷款5000万元，"
             "由北京中关村科技融资担保有限公司提供连带责任担保。\n")
OVERDUE = ("# 担保人风险排查\n\n北京中关村科技融资担保有限公司在招商银行有一笔逾期贷款1200万元，"
           "已逾期95天。\n")


def _upload(client, kb_id, name, text):
    response = client.post(f"/knowledge-bases/{kb_id}/documents", files=[("files", (name, text.encode()))])
    assert response.status_code == 202, response.text
    item = response.json()["items"][0]
    job = wait_for_job(client, item["job_id"])
    assert job["status"] == "done", job
    return item["document"]["id"], job


def test_ingestion_builds_the_graph_and_delete_removes_only_its_facts(client):
    kb_id = client.post("/knowledge-bases", json={"name": "credit", "language": "zh"}).json()["id"]
    report_id, job = _upload(client, kb_id, "授信报告.md", GUARANTEE)
    assert "graph:" in job["detail"] and "entities" in job["detail"], job["detail"]
    check_id, _ = _upload(client, kb_id, "风险排查.md", OVERDUE)

    found = client.get("/graph/entities", params={"q": "中关村科技融资担保", "kb": kb_id}).json()
    guarantor = next(e for e in found if e["name"] == "北京中关村科技融资担保有限公司")
    assert set(guarantor["provenance"]["document_ids"]) == {report_id, check_id}  # one node, two documents

    detail = client.get(f"/graph/entities/{guarantor['key']}", params={"kb": kb_id}).json()
    types = {r["type"] for r in detail["relations"]}
    assert "guarantees" in types, detail["relations"]
    # Every fact leads to the chunks that state it, fetched by id with their citation.
    chunk_ids = sorted({c for r in detail["relations"] for c in r["provenance"]["chunk_ids"]})
    passages = client.get("/chunks", params={"ids": chunk_ids, "knowledge_bases": [kb_id]}).json()
    assert [h["chunk_id"] for h in passages["hits"]] == chunk_ids and passages["missing"] == []
    assert all("北京中关村科技融资担保有限公司" in h["text"] for h in passages["hits"])
    assert {h["citation"]["document_id"] for h in passages["hits"]} <= {report_id, check_id}
    check_chunks = [h["chunk_id"] for h in passages["hits"] if h["citation"]["document_id"] == check_id]
    assert check_chunks

    borrower = next(e for e in client.get("/graph/entities", params={"q": "华远置业", "kb": kb_id}).json())
    overdue_bank = next(e for e in client.get("/graph/entities", params={"q": "招商银行", "kb": kb_id}).json())
    path = client.get("/graph/path", params={"from": borrower["key"], "to": overdue_bank["key"], "kb": kb_id}).json()
    assert path["paths"] and guarantor["key"] in path["paths"][0]["entity_keys"]  # across both documents

    assert client.delete(f"/documents/{check_id}").status_code in (200, 204)
    after = client.get("/graph/entities", params={"q": "中关村科技融资担保", "kb": kb_id}).json()
    kept = next(e for e in after if e["name"] == "北京中关村科技融资担保有限公司")
    assert kept["provenance"]["document_ids"] == [report_id]  # shared entity stays with its other document
    assert client.get("/graph/entities", params={"q": "招商银行", "kb": kb_id}).json() == []  # only the deleted one named it
    gone = client.get("/chunks", params={"ids": check_chunks, "knowledge_bases": [kb_id]}).json()
    assert gone == {"hits": [], "missing": check_chunks}  # its chunks went with the document
    other_kb = client.post("/knowledge-bases", json={"name": "other"}).json()["id"]
    assert client.get("/chunks", params={"ids": chunk_ids, "knowledge_bases": [other_kb]}).json()["hits"] == []
    assert client.get("/chunks", params={"ids": ["not-a-uuid"]}).status_code == 422

    missing = client.get("/graph/entities/not-a-key", params={"kb": kb_id})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_graph_queries_take_injection_strings_as_text(client):
    kb_id = client.post("/knowledge-bases", json={"name": "inject"}).json()["id"]
    _upload(client, kb_id, "notes.md", "# 说明\n\n中国工商银行北京分行发布《个人贷款管理办法》。\n")
    for q in ('"}) MATCH (n) DETACH DELETE n //', "' OR 1=1 //", "x" * 200):
        response = client.get("/graph/entities", params={"q": q, "kb": kb_id})
        assert response.status_code == 200 and response.json() == []
    assert client.get("/graph/entities", params={"q": "工商银行", "kb": kb_id}).json()  # nothing was deleted
    assert client.get("/graph/entities", params={"q": "x" * 201, "kb": kb_id}).status_code == 422


def test_graph_mode_brings_the_guarantors_risks_and_shows_the_subgraph(client):
    kb_id = client.post("/knowledge-bases", json={"name": "credit-graph", "language": "zh"}).json()["id"]
    report_id, _ = _upload(client, kb_id, "授信报告.md", GUARANTEE)
    check_id, _ = _upload(client, kb_id, "风险排查.md", OVERDUE)
    response = client.post("/search", json={"query": "北京华远置业有限公司的担保人有哪些风险？", "knowledge_bases": [kb_id],
                                            "mode": "hybrid+rerank+graph", "include_graph": True, "top_k": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    documents = {h["citation"]["document_id"] for h in body["hits"]}
    assert {report_id, check_id} <= documents  # the answer's evidence comes from both documents
    overdue = next(h for h in body["hits"] if h["citation"]["document_id"] == check_id)
    assert overdue["scores"]["graph"] is not None and "逾期" in overdue["text"]
    graph = body["graph"]
    assert any(e["name"] == "北京华远置业有限公司" for e in graph["linked"])
    names = {e["name"] for e in graph["entities"]}
    assert "北京中关村科技融资担保有限公司" in names
    assert all(r["provenance"]["chunk_ids"] for r in graph["relations"])

    plain = client.post("/search", json={"query": "担保人", "knowledge_bases": [kb_id]}).json()
    assert plain["graph"] is None and all(h["scores"]["graph"] is None for h in plain["hits"])
