"""Storage hygiene (issue #12, item 7): originals that no document refers to any more are removed — replaced ones
once the new version is live, deleted ones, all of a deleted knowledge base's — at once or after a retention
period; the data folder and the originals are owner-only; the graph server's password is on no command line."""
from __future__ import annotations

import stat
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import wait_for_job


def _kb(client, name="存储") -> str:
    return client.post("/knowledge-bases", json={"name": name}).json()["id"]


def _upload(client, kb_id: str, name: str, text: str) -> dict:
    item = client.post(f"/knowledge-bases/{kb_id}/documents",
                       files=[("files", (name, text.encode(), "text/markdown"))]).json()["items"][0]
    job = wait_for_job(client, item["job_id"])
    assert job["status"] == "done", job
    return item["document"]


def test_replaced_and_deleted_originals_leave_the_file_store(client, runtime):
    files = runtime.files
    kb_id = _kb(client)
    versions = [_upload(client, kb_id, "制度.md", f"# 制度\n\n第{n}版：授信业务须经审批。\n")["content_hash"]
                for n in range(1, 4)]
    assert files.digests() == {versions[-1]}  # each replacement let go of the version before it
    other = _upload(client, kb_id, "附件.md", "# 附件\n\n联系人信息。\n")
    client.delete(f"/documents/{other['id']}")
    assert other["content_hash"] not in files.digests()
    kb2 = _kb(client, "另一个")
    _upload(client, kb2, "说明.md", "# 说明\n\n营业时间九点。\n")
    _upload(client, kb2, "说明.md", "# 说明\n\n营业时间九点半。\n")
    assert client.delete(f"/knowledge-bases/{kb2}").status_code == 204
    assert files.digests() == {versions[-1]}  # nothing of the deleted knowledge base is left


def test_with_a_retention_period_originals_are_kept_then_removed(settings, runtime):
    from zhiku.core.file_retention import FileRetention

    retention = FileRetention(runtime.metadata, runtime.files, retention_days=7)
    digest = runtime.files.save(b"an original nobody refers to")
    retention.release({digest})
    assert digest in runtime.files.digests()
    assert retention.purge(now=datetime.now(timezone.utc) + timedelta(days=6)) == []
    assert retention.purge(now=datetime.now(timezone.utc) + timedelta(days=8)) == [digest]
    assert digest not in runtime.files.digests()
    assert runtime.metadata.discarded_files() == []


def test_a_discarded_original_uploaded_again_is_kept(client, runtime):
    from zhiku.core.file_retention import FileRetention

    retention = FileRetention(runtime.metadata, runtime.files, retention_days=1)
    kb_id = _kb(client, "重传")
    document = _upload(client, kb_id, "a.md", "# A\n\n内容甲。\n")
    client.delete(f"/documents/{document['id']}")
    runtime.files.save("# A\n\n内容甲。\n".encode())  # as if kept by the retention period
    retention.release({document["content_hash"]})
    again = _upload(client, kb_id, "a.md", "# A\n\n内容甲。\n")
    assert retention.purge(now=datetime.now(timezone.utc) + timedelta(days=2)) == []
    assert again["content_hash"] in runtime.files.digests()


def test_the_data_folder_and_the_originals_are_owner_only(client, runtime, settings):
    kb_id = _kb(client, "权限")
    document = _upload(client, kb_id, "a.md", "# A\n\n内容。\n")
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(settings.files_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(runtime.files.path(document["content_hash"]).stat().st_mode) == 0o600


def test_the_graph_servers_password_is_on_no_command_line(bolt_server):
    server = bolt_server["server"]
    if server is None or server._process is None:
        pytest.skip("the tests use an external Bolt server")
    _, password = server.auth()
    command_line = open(f"/proc/{server._process.pid}/cmdline", "rb").read().decode()
    assert password not in command_line
    assert not server.secret_options_file.exists()  # the @argument file is gone once the server has read it


def test_secrets_in_urls_are_redacted():
    from zhiku.core.redaction import redact_secrets

    text = ("could not reach postgresql+psycopg://zhiku:Pa55word@db:5432/zhiku or "
            "https://llm.example/v1/chat?api_key=sk-123&model=x with Authorization: Bearer abcdefgh12345")
    redacted = redact_secrets(text)
    assert "Pa55word" not in redacted and "sk-123" not in redacted and "abcdefgh12345" not in redacted
    assert "postgresql+psycopg://zhiku:***@db:5432/zhiku" in redacted and "model=x" in redacted


def test_doctor_reports_and_repairs_inconsistencies(client, runtime, settings):
    from zhiku.api.knowledge_service import KnowledgeService
    from zhiku.api.store_doctor import StoreDoctor
    from zhiku.index.vector_store import ChunkFilter

    kb_id = _kb(client, "体检")
    kept = _upload(client, kb_id, "保留.md", "# 保留\n\n营业时间为九点至五点。\n")
    lost = _upload(client, kb_id, "丢失.md", "# 丢失\n\n江南恒泰精密制造有限公司向华夏通商银行申请贷款。\n")
    # A crash between the steps of a deletion: the row is gone, its vectors, graph facts and original are not.
    runtime.metadata.delete_document(lost["id"])
    orphan = runtime.files.save(b"an original left by an interrupted upload")
    settings.data_dir.chmod(0o755)

    doctor = StoreDoctor(KnowledgeService(runtime))
    found = {finding.code: finding for finding in doctor.examine()}
    assert orphan in found["orphan_originals"].items and lost["content_hash"] in found["orphan_originals"].items
    assert found["orphan_vectors"].items == [lost["id"]]
    assert "data_dir_readable" in found
    if runtime.graph_store is not None:
        assert lost["id"] in found["orphan_graph_chunks"].items
    assert all(not finding.repaired for finding in found.values())

    repaired = doctor.examine(repair=True)
    assert repaired and all(finding.repaired for finding in repaired)
    assert doctor.examine() == []
    assert runtime.vector_store.count(ChunkFilter(document_ids=[lost["id"]])) == 0
    assert runtime.files.digests() == {kept["content_hash"]}
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700


def test_zhiku_doctor_command(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from zhiku.api.cli import app
    from zhiku.core.settings import get_settings

    monkeypatch.setenv("ZHIKU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ZHIKU_GRAPH_ENABLED", "false")
    get_settings.cache_clear()
    try:
        (tmp_path / "data" / "files" / "ab").mkdir(parents=True)
        (tmp_path / "data" / "files" / "ab" / ("ab" + "0" * 62)).write_bytes(b"orphan")
        found = CliRunner().invoke(app, ["doctor"])
        assert found.exit_code == 1 and "orphan_originals: 1" in found.output and "needs --repair" in found.output
        repaired = CliRunner().invoke(app, ["doctor", "--repair"])
        assert "[repaired]" in repaired.output, repaired.output
        clean = CliRunner().invoke(app, ["doctor"])
        assert clean.exit_code == 0 and "all consistent" in clean.output
    finally:
        get_settings.cache_clear()
