"""The HTTP API through the ASGI app, with the real embedding model and Qdrant engine.

Runs once on SQLite and once on PostgreSQL (see conftest.database_url)."""
from tests.conftest import wait_for_job
from tests.documents import encrypted_pdf, english_pdf, loan_policy_docx


def _kb(client, name="policies") -> str:
    response = client.post("/knowledge-bases", json={"name": name, "language": "zh"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _upload(client, kb_id, *files):
    return client.post(f"/knowledge-bases/{kb_id}/documents", files=[("files", f) for f in files])


def _search(client, query, **extra):
    response = client.post("/search", json={"query": query, **extra})
    assert response.status_code == 200, response.text
    return response.json()["hits"]


def test_upload_docx_then_search_chinese_with_heading_citation(client):
    kb_id = _kb(client)
    response = _upload(client, kb_id, ("贷款办法.docx", loan_policy_docx(),
                                       "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
    assert response.status_code == 202, response.text
    item = response.json()["items"][0]
    assert item["outcome"] == "queued"
    job = wait_for_job(client, item["job_id"])
    assert job["status"] == "done", job
    assert job["progress"] == 1.0

    hits = _search(client, "个人住房贷款期限最长多少年？", knowledge_bases=["policies"])
    top = hits[0]
    assert "三十年" in top["text"]
    assert top["citation"]["document_name"] == "贷款办法.docx"
    assert top["citation"]["heading_path"][-2:] == ["第三章 贷款额度与期限", "第一节 贷款期限"]
    assert top["context"] and top["text"] in top["context"]
    assert top["scores"]["fused"] is not None and top["scores"]["rerank"] is not None

    table_hits = _search(client, "二套房最高贷款成数", knowledge_bases=[kb_id], top_k=3)
    assert any("二套房" in h["text"] and "60%" in h["text"] for h in table_hits)

    document = client.get(f"/documents/{item['document']['id']}").json()
    assert document["status"] == "done" and document["chunk_count"] >= 2
    assert document["latest_job"]["status"] == "done"


def test_ask_answers_with_citations_and_says_when_not_found(client):
    kb_id = _kb(client)
    job_id = _upload(client, kb_id, ("policy.docx", loan_policy_docx(), "application/octet-stream")).json()["items"][0]["job_id"]
    assert wait_for_job(client, job_id)["status"] == "done"
    answer = client.post("/ask", json={"question": "个人住房贷款期限最长多少年？"}).json()
    assert answer["found"] is True
    assert "三十年" in answer["answer"] and "[1]" in answer["answer"]
    assert answer["citations"][0]["citation"]["document_name"] == "policy.docx"
    missing = client.post("/ask", json={"question": "外汇期权的保证金比例是多少？"}).json()
    assert missing["found"] is False and missing["citations"] == []


def test_same_bytes_twice_is_unchanged_and_changed_file_replaces_chunks(client, runtime):
    kb_id = _kb(client)
    original = loan_policy_docx()
    first = _upload(client, kb_id, ("policy.docx", original, "application/octet-stream")).json()["items"][0]
    assert wait_for_job(client, first["job_id"])["status"] == "done"
    doc_id = first["document"]["id"]
    chunks_before = client.get(f"/documents/{doc_id}").json()["chunk_count"]

    again = _upload(client, kb_id, ("policy.docx", original, "application/octet-stream")).json()["items"][0]
    assert again["outcome"] == "unchanged" and again["job_id"] is None
    renamed = _upload(client, kb_id, ("copy of policy.docx", original, "application/octet-stream")).json()["items"][0]
    assert renamed["outcome"] == "duplicate" and renamed["document"]["id"] == doc_id
    from zhiku.index.vector_store import ChunkFilter

    assert runtime.vector_store.count(ChunkFilter(document_ids=[doc_id])) == chunks_before
    assert len(client.get(f"/knowledge-bases/{kb_id}/documents").json()) == 1

    changed = loan_policy_docx(rate_note="首套住房贷款利率不低于LPR加15个基点，由总行统一定价。")
    replaced = _upload(client, kb_id, ("policy.docx", changed, "application/octet-stream")).json()["items"][0]
    assert replaced["outcome"] == "replaced" and replaced["document"]["id"] == doc_id
    assert wait_for_job(client, replaced["job_id"])["status"] == "done"
    texts = " ".join(h["text"] for h in _search(client, "首套住房贷款利率基点", top_k=10))
    assert "加15个基点" in texts and "减20个基点" not in texts
    assert runtime.vector_store.count(ChunkFilter(document_ids=[doc_id])) == \
        client.get(f"/documents/{doc_id}").json()["chunk_count"]


def test_delete_document_removes_it_from_every_store(client, runtime):
    kb_id = _kb(client)
    items = _upload(client, kb_id, ("policy.docx", loan_policy_docx(), "application/octet-stream"),
                    ("security.pdf", english_pdf(["Passwords must be rotated every 90 days.",
                                                  "Multi-factor authentication is required for remote access."]),
                     "application/pdf")).json()["items"]
    for item in items:
        assert wait_for_job(client, item["job_id"])["status"] == "done"
    pdf_doc = items[1]["document"]
    only_docx = _search(client, "passwords rotated", top_k=10, file_types=["docx"])
    assert only_docx and {h["citation"]["document_name"] for h in only_docx} == {"policy.docx"}
    only_pdf = _search(client, "贷款期限", top_k=10, document_ids=[pdf_doc["id"]])
    assert only_pdf and {h["citation"]["document_id"] for h in only_pdf} == {pdf_doc["id"]}
    hits = _search(client, "how often must passwords be rotated", top_k=3)
    assert hits[0]["citation"]["document_name"] == "security.pdf" and hits[0]["citation"]["page"] == 1
    assert hits[0]["citation"]["bbox"] is not None

    assert client.delete(f"/documents/{pdf_doc['id']}").status_code == 204
    assert client.get(f"/documents/{pdf_doc['id']}").status_code == 404
    assert all(h["citation"]["document_id"] != pdf_doc["id"] for h in _search(client, "passwords rotated", top_k=10))
    from zhiku.index.vector_store import ChunkFilter

    assert runtime.vector_store.count(ChunkFilter(document_ids=[pdf_doc["id"]])) == 0
    assert not runtime.files.path(pdf_doc["content_hash"]).exists()
    assert _search(client, "个人住房贷款期限", top_k=1)[0]["citation"]["document_name"] == "policy.docx"


def test_bad_input_is_refused_clearly_and_leaves_nothing(client, runtime):
    kb_id = _kb(client)
    good = _upload(client, kb_id, ("policy.docx", loan_policy_docx(), "application/octet-stream")).json()["items"][0]
    assert wait_for_job(client, good["job_id"])["status"] == "done"

    unsupported = _upload(client, kb_id, ("virus.exe", b"MZ\x90\x00binary", "application/octet-stream"))
    assert unsupported.status_code == 415 and ".pdf" in unsupported.json()["message"]
    empty = _upload(client, kb_id, ("empty.txt", b"", "text/plain"))
    assert empty.status_code == 422 and empty.json()["error"] == "empty_file"
    too_big = _upload(client, kb_id, ("big.txt", b"a" * (1024 * 1024 + 1), "text/plain"))  # limit is 1 MiB here
    assert too_big.status_code == 413 and "ZHIKU_MAX_UPLOAD_MB" in too_big.json()["message"]

    mixed = _upload(client, kb_id, ("notes.md", "# 标题\n\n正文内容。".encode(), "text/markdown"),
                    ("bad.bin", b"\x00\x01", "application/octet-stream"))
    assert mixed.status_code == 202
    assert [i["outcome"] for i in mixed.json()["items"]] == ["queued", "rejected"]
    assert wait_for_job(client, mixed.json()["items"][0]["job_id"])["status"] == "done"

    corrupt = _upload(client, kb_id, ("broken.pdf", b"%PDF-1.7\n" + b"\x8f garbage " * 200, "application/pdf"))
    encrypted = _upload(client, kb_id, ("locked.pdf", encrypted_pdf(), "application/pdf"))
    for response, words in ((corrupt, "damaged"), (encrypted, "password")):
        item = response.json()["items"][0]
        job = wait_for_job(client, item["job_id"])
        assert job["status"] == "failed" and words in job["error"].lower(), job
        document = client.get(f"/documents/{item['document']['id']}").json()
        assert document["status"] == "failed" and document["error"] == job["error"]
        from zhiku.index.vector_store import ChunkFilter

        assert runtime.vector_store.count(ChunkFilter(document_ids=[item["document"]["id"]])) == 0
    assert _search(client, "个人住房贷款期限", top_k=1)[0]["citation"]["document_name"] == "policy.docx"


def test_knowledge_base_lifecycle_and_errors(client, runtime):
    kb_id = _kb(client, "to-delete")
    assert client.post("/knowledge-bases", json={"name": "to-delete"}).status_code == 409
    assert any(kb["name"] == "to-delete" for kb in client.get("/knowledge-bases").json())
    job_id = _upload(client, kb_id, ("a.md", "# 通知\n\n网点营业时间调整为九点至五点。".encode(), "text/markdown")).json()["items"][0]["job_id"]
    assert wait_for_job(client, job_id)["status"] == "done"
    assert client.get(f"/knowledge-bases/{kb_id}").json()["document_count"] == 1
    assert client.delete(f"/knowledge-bases/{kb_id}").status_code == 204
    assert client.get(f"/knowledge-bases/{kb_id}").status_code == 404
    from zhiku.index.vector_store import ChunkFilter

    assert runtime.vector_store.count(ChunkFilter(kb_ids=[kb_id])) == 0
    assert client.post("/search", json={"query": "营业时间", "knowledge_bases": ["to-delete"]}).status_code == 404
    assert client.post(f"/knowledge-bases/{kb_id}/documents", files=[("files", ("a.md", b"x", "text/plain"))]).status_code == 404
    assert client.post("/search", json={"query": ""}).status_code == 422


def test_health_readiness_and_openapi(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["vector_store"] == "ok" and ready.json()["graph_store"] == "ok"
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/search", "/ask", "/knowledge-bases", "/knowledge-bases/{kb_id}/documents", "/jobs/{job_id}",
            "/graph/entities", "/graph/entities/{key}", "/graph/path"} <= set(paths)
