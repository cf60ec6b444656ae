from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, UploadFile, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from zhiku.api.converters import document_out, hit_out, job_out
from zhiku.api.deps import get_runtime, get_service
from zhiku.api.knowledge_service import KnowledgeService, clean_filename
from zhiku.api.runtime import Runtime
from zhiku.api.schemas import DocumentOut, ErrorBody, JobOut, SearchHitOut, UploadItem, UploadResponse
from zhiku.core.errors import ZhikuError

router = APIRouter(tags=["documents"])


@router.post("/knowledge-bases/{kb_id}/documents", response_model=UploadResponse,
             status_code=status.HTTP_202_ACCEPTED,
             responses={400: {"model": ErrorBody}, 413: {"model": ErrorBody}, 415: {"model": ErrorBody},
                        422: {"model": ErrorBody}})
async def upload_documents(kb_id: str, files: list[UploadFile] = File(..., description="One or more files"),
                           language: str | None = Form(None, description="Spoken language of recordings in this "
                                                       "upload (ISO 639-1: zh, en, ...). Default: the knowledge "
                                                       "base's language, else detected."),
                           service: KnowledgeService = Depends(get_service),
                           runtime: Runtime = Depends(get_runtime)):
    """Upload files; each is ingested by a background job. Per-file outcome in `items`.

    The response is 202 when at least one file was accepted or already present; when every file is
    rejected, the status is that of the first rejection (413 too large, 415 unsupported type, 422
    empty/corrupt/encrypted) with all reasons in the body.
    """
    runtime.metadata.get_kb(kb_id)  # 404 before reading any upload
    items: list[UploadItem] = []
    first_error: ZhikuError | None = None
    for upload in files:
        name = clean_filename(upload.filename) or "(unnamed)"
        try:
            # The upload is spooled to a temporary file by the server; it is copied to the file store in
            # blocks (never whole in memory), off the event loop, like the transaction.
            result = await run_in_threadpool(service.upload, kb_id, upload.filename, upload.file, None, language)
        except ZhikuError as exc:
            first_error = first_error or exc
            items.append(UploadItem(filename=name, outcome="rejected", error=ErrorBody(error=exc.code, message=exc.message)))
            continue
        finally:
            await upload.close()
        items.append(UploadItem(filename=name, outcome=result.outcome.value, document=document_out(result.document),
                                job_id=result.job.id if result.job else None))
    body = UploadResponse(items=items)
    if first_error is not None and all(item.outcome == "rejected" for item in items):
        return JSONResponse(status_code=first_error.http_status,
                            content={"error": first_error.code, "message": first_error.message,
                                     **body.model_dump(mode="json")})
    return body


@router.get("/knowledge-bases/{kb_id}/documents", response_model=list[DocumentOut])
def list_documents(kb_id: str, runtime: Runtime = Depends(get_runtime)):
    kb = runtime.metadata.get_kb(kb_id)
    documents = runtime.metadata.list_documents(kb.id)
    jobs = runtime.metadata.latest_jobs([d.id for d in documents])
    positions = runtime.metadata.queue_positions(list(jobs.values()))
    return [document_out(d, jobs.get(d.id), positions) for d in documents]


@router.get("/documents/{document_id}", response_model=DocumentOut)
def get_document(document_id: str, runtime: Runtime = Depends(get_runtime)):
    document = runtime.metadata.get_document(document_id)
    job = runtime.metadata.latest_jobs([document.id]).get(document.id)
    return document_out(document, job, runtime.metadata.queue_positions([job] if job else []))


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(document_id: str, service: KnowledgeService = Depends(get_service)):
    """Removes the document from the metadata store, the vector index and the file store."""
    service.delete_document(document_id)


@router.get("/documents/{document_id}/flagged-chunks", response_model=list[SearchHitOut])
def flagged_chunks(document_id: str, service: KnowledgeService = Depends(get_service)):
    """The document's passages the guardrails flagged at ingestion (e.g. instructions aimed at the assistant),
    with the reasons in `flags`. They are kept in the index but not used as evidence for answers."""
    return [hit_out(hit) for hit in service.flagged_chunks(document_id)]


@router.post("/documents/{document_id}/reindex", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def reindex_document(document_id: str, service: KnowledgeService = Depends(get_service),
                     runtime: Runtime = Depends(get_runtime)):
    """Ingest the stored original again (after changing the embedder, chunking or collection)."""
    job = runtime.metadata.get_job(service.reindex_document(document_id))
    return job_out(job, runtime.metadata.queue_positions([job]))


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: str, runtime: Runtime = Depends(get_runtime)):
    """A job's state: while pending, its lane and place in that lane's queue; while running, the worker."""
    job = runtime.metadata.get_job(job_id)
    return job_out(job, runtime.metadata.queue_positions([job]))


