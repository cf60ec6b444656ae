"""The credit report writer (and any report template): draft from a company's materials, then download."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse

from zhiku.api.deps import current_caller, get_service
from zhiku.core.access import Caller
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.schemas import CreditReportRequest, ReportDraftRequest, ReportTemplateOut
from zhiku.scenarios.report_store import FORMATS

router = APIRouter(tags=["reports"], prefix="/reports")


@router.get("/templates", response_model=list[ReportTemplateOut])
def templates(service: KnowledgeService = Depends(get_service)):
    """The template library: built-in templates and those in ZHIKU_REPORT_TEMPLATE_DIR."""
    return [ReportTemplateOut(id=t.id, title=t.title, language=t.language, description=t.description,
                              sections=[s.title for s in t.sections]) for t in service.rt.templates.all().values()]


@router.post("/credit")
def credit_report(body: CreditReportRequest, service: KnowledgeService = Depends(get_service),
                  caller: Caller = Depends(current_caller)) -> dict:
    """Draft a corporate credit report: every statement cites its source; what is missing is listed in `gaps`.

    Materials: `document_ids`, or every indexed document whose name contains the company's name (without its
    legal form, e.g. 有限公司). Download the draft from /reports/{id}/download?format=docx (or md, json)."""
    access = service.scenario_scope(body.knowledge_bases, caller=caller)
    return _with_links(service.rt.reports.draft(body.template, body.company, access.kb_ids, body.document_ids,
                                                body.mode, access=access, owner=caller.subject))


@router.post("/draft")
def draft_report(body: ReportDraftRequest, service: KnowledgeService = Depends(get_service),
                 caller: Caller = Depends(current_caller)) -> dict:
    """Draft a report from any template (e.g. research_report_zh) about a subject's documents."""
    access = service.scenario_scope(body.knowledge_bases, caller=caller)
    return _with_links(service.rt.reports.draft(body.template, body.subject, access.kb_ids, body.document_ids,
                                                body.mode, access=access, owner=caller.subject))


@router.get("/{report_id}")
def get_report(report_id: str, service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)) -> dict:
    """A report drafted by the caller (any, for a system admin where ZHIKU_ADMINS_SEE_USER_CONTENT allows)."""
    return _with_links(service.own_report(report_id, caller=caller))


@router.get("/{report_id}/download", response_class=FileResponse)
def download(report_id: str, format: str = Query("docx", description="docx | md | json"),
             service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    body = service.own_report(report_id, caller=caller)
    path = service.rt.reports.store.path(report_id, format)
    filename = f"{body['title']}.{format}".replace("/", "_")
    return FileResponse(path, media_type=FORMATS[format][1], filename=filename)


def _with_links(body: dict) -> dict:
    return {**body, "downloads": {fmt: f"/reports/{body['id']}/download?format={fmt}" for fmt in FORMATS}}
