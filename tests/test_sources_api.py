"""What the UI opens behind a citation: page images with the box's unit, the original file with byte ranges;
knowledge-base settings (language, chunking); feedback on answers. SQLite and PostgreSQL (conftest)."""
from __future__ import annotations

import io
import json

from PIL import Image

from tests.conftest import wait_for_job
from tests.documents import english_pdf

FAQ = "# 挂失\n信用卡丢失后请立即拨打客服热线95500-8挂失。\n\n# 年费\n白金卡年费1,200元/年。\n".encode()


def _kb(client, **settings) -> str:
    response = client.post("/knowledge-bases", json={"name": "src", **settings})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _ingest(client, kb_id, name, data) -> dict:
    item = client.post(f"/knowledge-bases/{kb_id}/documents", files=[("files", (name, data, "application/octet-stream"))]).json()["items"][0]
    assert wait_for_job(client, item["job_id"])["status"] == "done"
    return item["document"]


def test_a_pdf_page_renders_with_its_size_in_points(client):
    kb_id = _kb(client)
    document = _ingest(client, kb_id, "notice.pdf", english_pdf(["Branch opening hours change on 1 March.", "Page one."]))
    hit = client.post("/search", json={"query": "opening hours", "knowledge_bases": [kb_id]}).json()["hits"][0]
    assert hit["citation"]["page"] == 1 and hit["citation"]["bbox"]
    response = client.get(f"/documents/{document['id']}/pages/1/image")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.headers["x-page-unit"] == "pt" and response.headers["x-page-count"] == "1"
    width, height = float(response.headers["x-page-width"]), float(response.headers["x-page-height"])
    x0, y0, x1, y1 = hit["citation"]["bbox"]
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height  # the box lies on the page it is drawn over
    assert Image.open(io.BytesIO(response.content)).size[0] > 100
    assert client.get(f"/documents/{document['id']}/pages/2/image").status_code == 404
    assert client.get(f"/documents/{document['id']}/pages/0/image").status_code == 422


def test_the_original_file_is_served_with_byte_ranges(client):
    kb_id = _kb(client)
    document = _ingest(client, kb_id, "faq.md", FAQ)
    whole = client.get(f"/documents/{document['id']}/file")
    assert whole.status_code == 200 and whole.content == FAQ
    assert whole.headers["content-disposition"].startswith("attachment")  # never rendered on the service's origin
    part = client.get(f"/documents/{document['id']}/file", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == FAQ[:10]
    assert client.get(f"/documents/{document['id']}/pages/1/image").status_code == 422  # text: no page image
    assert client.get("/documents/nope/file").status_code == 404


def test_knowledge_base_chunking_applies_to_its_documents(client):
    kb_id = _kb(client, language="zh", chunk_size=64, chunk_overlap=0)
    assert client.get(f"/knowledge-bases/{kb_id}").json()["chunk_size"] == 64
    text = "".join(f"第{i}条　本行对第{i}类业务实行分级授权管理，超过权限的须报上级审批。\n" for i in range(1, 30))
    document_id = _ingest(client, kb_id, "授权.md", text.encode())["id"]
    small_chunks = client.get(f"/documents/{document_id}").json()["chunk_count"]
    updated = client.patch(f"/knowledge-bases/{kb_id}", json={"chunk_size": 1024, "language": "en"}).json()
    assert updated["chunk_size"] == 1024 and updated["language"] == "en" and updated["chunk_overlap"] == 0
    job = client.post(f"/documents/{document_id}/reindex").json()
    assert wait_for_job(client, job["id"])["status"] == "done"
    assert client.get(f"/documents/{document_id}").json()["chunk_count"] < small_chunks
    assert client.patch(f"/knowledge-bases/{kb_id}", json={"chunk_overlap": 2000}).status_code == 422
    assert client.patch(f"/knowledge-bases/{kb_id}", json={"chunk_size": 100, "chunk_overlap": 100}).status_code == 422
    assert client.patch(f"/knowledge-bases/{kb_id}", json={"language": "中文"}).status_code == 422


def test_feedback_on_an_answer_is_kept_for_evaluation(client):
    kb_id = _kb(client)
    _ingest(client, kb_id, "faq.md", FAQ)
    with client.stream("POST", "/assistant/chat", json={"message": "信用卡丢了怎么办？"}) as response:
        done = [line for line in response.iter_lines() if line.startswith("data: ")][-1]
    message_id = json.loads(done[6:])["message_id"]
    response = client.post(f"/assistant/messages/{message_id}/feedback", json={"rating": "down", "comment": "缺少时限"})
    assert response.status_code == 201 and response.json()["rating"] == "down"
    listed = client.get("/assistant/feedback").json()
    assert listed[0]["comment"] == "缺少时限" and listed[0]["question"] == "信用卡丢了怎么办？" and "95500-8" in listed[0]["answer"]
    assert listed[0]["answer_mode"] == "extractive" and listed[0]["model"] is None  # what wrote the judged answer
    assert client.post(f"/assistant/messages/{message_id}/feedback", json={"rating": "meh"}).status_code == 422
    assert client.post("/assistant/messages/nope/feedback", json={"rating": "up"}).status_code == 404


def test_a_text_document_is_previewed_around_its_cited_span_with_personal_data_masked(client):
    kb_id = _kb(client)
    text = "# 挂失\n\n信用卡挂失请联系客户经理，邮箱 zhang.wei@example.com。\n\n## 补卡\n\n补卡需要五个工作日。\n"
    document = _ingest(client, kb_id, "faq.md", text.encode())
    hit = client.post("/search", json={"query": "补卡需要几天", "knowledge_bases": [kb_id], "top_k": 1}).json()["hits"][0]
    start, end = hit["citation"]["char_start"], hit["citation"]["char_end"]
    parts = client.get(f"/documents/{document['id']}/text", params={"start": start, "end": end}).json()
    assert parts["cited"] == hit["text"]  # the offsets of citations cut the same text
    assert "补卡需要五个工作日" in parts["cited"] and "挂失" in parts["before"]
    assert "zhang.wei@example.com" not in json.dumps(parts, ensure_ascii=False)  # masked as in search results
    pdf = _ingest(client, kb_id, "notice.pdf", english_pdf(["Branch opening hours change on 1 March."]))
    refused = client.get(f"/documents/{pdf['id']}/text")
    assert refused.status_code == 415 and "page image" in refused.json()["message"]


def test_the_preview_text_is_parsed_once_kept_by_content_hash_and_removed_with_the_original(client, runtime,
                                                                                            monkeypatch):
    from zhiku.api.knowledge_service import KnowledgeService
    from zhiku.api.routes import sources
    from zhiku.api.store_doctor import StoreDoctor

    parses: list[str] = []
    real_parse = sources.parse_document

    def counted(data, name, *args, **kwargs):
        parses.append(name)
        return real_parse(data, name, *args, **kwargs)

    monkeypatch.setattr(sources, "parse_document", counted)  # counts the real parser's calls
    kb_id = _kb(client)
    document = _ingest(client, kb_id, "faq.md", FAQ)
    digest = document["content_hash"]
    cache = runtime.files.text_path(digest, "markdown")
    assert not cache.exists()
    first = client.get(f"/documents/{document['id']}/text", params={"start": 5, "end": 20})
    assert first.status_code == 200, first.text
    assert parses == ["faq.md"] and cache.exists() and cache.stat().st_mode & 0o077 == 0
    second = client.get(f"/documents/{document['id']}/text", params={"start": 5, "end": 20})
    assert parses == ["faq.md"], "the second preview parsed the original again"
    assert second.json() == first.json() and "95500-8" in "".join(second.json().values())
    # Another document with the same content shares the kept text; it stays while one of them does.
    twin = _ingest(client, _kb(client, name="src-twin"), "faq-copy.md", FAQ)
    assert client.delete(f"/documents/{document['id']}").status_code == 204
    assert cache.exists() and client.get(f"/documents/{twin['id']}/text").status_code == 200 and parses == ["faq.md"]
    assert client.delete(f"/documents/{twin['id']}").status_code == 204
    assert not cache.exists() and not runtime.files.path(digest).exists()
    # A preview text left without its document (deleted while the preview was read) is found and removed.
    runtime.files.write_text(digest, "markdown", "left behind")
    doctor = StoreDoctor(KnowledgeService(runtime))
    assert {f.code: f.items for f in doctor.examine()}.get("orphan_text_previews") == [digest]
    doctor.examine(repair=True)
    assert not cache.exists() and "orphan_text_previews" not in {f.code for f in doctor.examine()}
