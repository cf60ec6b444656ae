"""The credit report writer on the demo company's materials (XLSX and PDF statements, a scanned licence, a
guarantee contract, a company profile, a site-visit recording), ingested for real: OCR, speech, index."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from fastapi.testclient import TestClient

from tests.credentials import admin_headers
from tests.conftest import graph_settings, make_runtime

DEMO = Path(__file__).resolve().parent.parent / "demo"
TRUTH = json.loads((DEMO / "credit_company.json").read_text(encoding="utf-8"))
COMPANY = TRUTH["company"]


@pytest.fixture(scope="module")
def report_client(tmp_path_factory, bolt_server, shared_embedder, shared_ocr_reader, shared_transcriber):
    from zhiku.api.app import create_app
    from zhiku.core.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("credit"), _env_file=None, **graph_settings(bolt_server))
    runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    with TestClient(create_app(settings, runtime), headers=admin_headers(settings)) as client:
        kb_id = client.post("/knowledge-bases", json={"name": "credit", "language": "zh"}).json()["id"]
        files = [("files", (name, (DEMO / "bank_kb" / name).read_bytes(), "application/octet-stream"))
                 for name in TRUTH["documents"]]
        # A document of another company in the same knowledge base must not leak into the draft.
        other = "北京华远置业有限公司_财务报表.csv"
        files.append(("files", (other, "项目,2025年度\n营业收入,99999.99\n".encode(), "text/csv")))
        assert client.post(f"/knowledge-bases/{kb_id}/documents", files=files).status_code == 202
        assert runtime.jobs.wait_idle(timeout=900)
        documents = client.get(f"/knowledge-bases/{kb_id}/documents").json()
        assert all(d["status"] == "done" for d in documents), [(d["name"], d["error"]) for d in documents]
        response = client.post("/reports/credit", json={"company": COMPANY, "knowledge_bases": ["credit"]})
        assert response.status_code == 200, response.text
        yield client, response.json()
    runtime.close()


def _section(report: dict, section_id: str) -> dict:
    return next(s for s in report["sections"] if s["id"] == section_id)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_draft_uses_only_the_company_materials(report_client):
    _, report = report_client
    assert sorted(d["name"] for d in report["documents"]) == sorted(TRUTH["documents"])
    assert all(COMPANY in c["document_name"] for c in report["citations"])


def test_every_figure_is_copied_exactly_from_its_source(report_client):
    _, report = report_client
    finance = _section(report, "financial_analysis")
    assert finance["unit"] == TRUTH["unit"] and finance["periods"] == ["2025", "2024"]
    copied = [row for row in finance["figures"] if not row["computed"]]
    assert len(copied) == 10
    for row in copied:
        assert row["values"] == TRUTH["figures"][row["label"]], row["label"]
        sources = [report["citations"][n - 1]["text"] for n in row["citations"]]
        for value in row["values"].values():
            assert any(value in text for text in sources), (row["label"], value)


def test_ratios_are_computed_from_the_copied_figures(report_client):
    _, report = report_client
    rows = {row["id"]: row for row in _section(report, "financial_analysis")["figures"]}
    f = {label: {p: float(v) for p, v in periods.items()} for label, periods in TRUTH["figures"].items()}
    for period in ("2025", "2024"):
        assert rows["debt_ratio"]["values"][period] == f"{f['负债合计'][period] / f['资产总计'][period] * 100:.2f}%"
        assert rows["current_ratio"]["values"][period] == f"{f['流动资产合计'][period] / f['流动负债合计'][period]:.2f}"
        quick = (f["流动资产合计"][period] - f["存货"][period]) / f["流动负债合计"][period]
        assert rows["quick_ratio"]["values"][period] == f"{quick:.2f}"
    assert rows["debt_ratio"]["computed"] and "负债合计" in rows["debt_ratio"]["formula"]


def test_profile_and_guarantee_fields_are_the_companys_own_and_cited(report_client):
    _, report = report_client
    fields = {s["label"]: s for section in report["sections"] for s in section["statements"] if s["label"]}
    licence = TRUTH["licence"]
    assert fields["企业名称"]["value"] == COMPANY
    assert fields["统一社会信用代码"]["value"] == licence["统一社会信用代码"]
    assert fields["法定代表人"]["value"] == licence["法定代表人"]     # not the guarantor's representative
    assert fields["住所"]["value"] == licence["住所"]
    assert fields["保证人"]["value"] == TRUTH["guarantee"]["guarantor"]
    assert fields["保证方式"]["value"] == TRUTH["guarantee"]["method"]
    for statement in fields.values():
        cited = "".join(report["citations"][n - 1]["text"] for n in statement["citations"])
        assert _compact(statement["value"]) in _compact(cited), statement


def test_missing_information_is_a_gap_not_an_invention(report_client):
    _, report = report_client
    gaps = [g["item"] for g in report["gaps"]]
    assert any("抵押" in g for g in gaps)
    collateral = [s for s in _section(report, "guarantees_collateral")["statements"] if s["label"] == "抵押物/质押物"]
    assert collateral == []
    narrative = _section(report, "risks")["statements"]
    assert narrative and all(s["citations"] for s in narrative)


def test_markdown_and_docx_exports(report_client):
    client, report = report_client
    markdown = client.get(report["downloads"]["md"])
    assert markdown.status_code == 200 and "## 信息缺口 / Gaps" in markdown.text and "58736.42" in markdown.text
    docx = client.get(report["downloads"]["docx"])
    assert docx.status_code == 200 and "attachment" in docx.headers["content-disposition"]
    document = DocxDocument(io.BytesIO(docx.content))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "企业基本情况" in text and "出处 / Sources" in text
    assert "营业收入" in cells and TRUTH["figures"]["营业收入"]["2025"] in cells
    assert client.get(f"/reports/{report['id']}").json()["id"] == report["id"]


def test_bad_requests_say_what_to_do(report_client):
    client, _ = report_client
    nobody = client.post("/reports/credit", json={"company": "不存在的公司"})
    assert nobody.status_code == 422 and "document_ids" in nobody.json()["message"]
    assert client.post("/reports/credit", json={"company": COMPANY, "template": "nope"}).status_code == 404
    assert client.get("/reports/../../etc/passwd/download").status_code == 404
    assert client.get("/reports/0123456789abcdef0123456789abcdef/download?format=exe").status_code == 404


def test_the_conclusion_is_the_borrowers_not_an_auditors_and_bios_name_their_manager(report_client):
    _, report = report_client
    conclusion = _section(report, "conclusion")["statements"]
    boilerplate = re.compile("审计准则|注册会计师|审计意见|审计证据|我们的责任|公允反映")
    assert not [s["text"] for s in conclusion if boilerplate.search(s["text"])]
    # from the borrower's own materials, or a listed gap
    assert conclusion or any(g["section"].startswith("七") for g in report["gaps"]), report["gaps"]
    names = [m["name"] for m in TRUTH["management"]]
    bios = [s["text"] for s in _section(report, "shareholders_management")["statements"]
            if re.search("曾任|加入本公司|年生", s["text"])]
    assert bios and all(any(name in bio for name in names) for bio in bios), bios
