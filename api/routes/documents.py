from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, UploadFile, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from zhiku.api.converters import document_out, hit_out, job_out
from zhiku.api.deps import current_caller, get_runtime, get_service
from zhiku.api.knowledge_service import KnowledgeService, clean_filename
from zhiku.api.runtime import Runtime
from zhiku.api.schemas import DocumentOut, DocumentReaders, ErrorBody, JobOut, SearchHitOut, UploadItem, UploadResponse
from zhiku.core.access import Caller, Operation
from zhiku.core.errors import NotFound, ZhikuError

router = APIRouter(tags=["documents"], responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}})


def _readers(values: list[str] | None) -> list[str] | None:
    """Form values, each possibly a comma-separated list; None (or nothing) means the default."""
    names = [part.strip() for value in values or [] for part in value.split(",") if part.strip()]
    return names or None


@router.post("/knowledge-bases/{kb_id}/documents", response_model=UploadResponse,
             status_code=status.HTTP_202_ACCEPTED,
             responses={400: {"model": ErrorBody}, 413: {"model": ErrorBody}, 415: {"model": ErrorBody},
                        422: {"model": ErrorBody}})
async def upload_documents(kb_id: str, files: list[UploadFile] = File(..., description="One or more files"),
                           language: str | None = Form(None, description="Spoken language of recordings in this "
                                                       "upload (ISO 639-1: zh, en, ...). Default: the knowledge "
                                                       "base's language, else detected."),
                           readers: list[str] | None = Form(None, description="Who may read these files among the "
                                                            "knowledge base's readers: \"user:<id>\" or "
                                                            "\"group:<id>\" (repeat, or comma-separated); default "
                                                            "all of them (\"*\")"),
                           service: KnowledgeService = Depends(get_service),
                           caller: Caller = Depends(current_caller)):
    """Upload files; each is ingested by a background job. Per-file outcome in `items`.

    The response is 202 when at least one file was accepted or already present; when every file is
    rejected, the status is that of the first rejection (413 too large, 415 unsupported type, 422
    empty/corrupt/encrypted) with all reasons in the body.
    """
    service.access.require_kb_admin(caller, kb_id, Operation.UPLOAD)  # 404/403 before reading any upload
    access = _readers(readers)
    items: list[UploadItem] = []
    first_error: ZhikuError | None = None
    for upload in files:
        name = clean_filename(upload.filename) or "(unnamed)"
        try:
            # The upload is spooled to a temporary file by the server; it is copied to the file store in
            # blocks (never whole in memory), off the event loop, like the transaction.
            result = await run_in_threadpool(lambda: service.upload(kb_id, upload.filename, upload.file, access,
                                                                    language, caller=caller))
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
def list_documents(kb_id: str, service: KnowledgeService = Depends(get_service),
                   runtime: Runtime = Depends(get_runtime), caller: Caller = Depends(current_caller)):
    """The documents of the knowledge base the caller may read (all of them for its admins)."""
    kb = service.access.readable_kb(caller, kb_id)
    documents = runtime.metadata.list_documents(kb.id, service.access.listing_scope(caller))
    jobs = runtime.metadata.latest_jobs([d.id for d in documents])
    positions = runtime.metadata.queue_positions(list(jobs.values()))
    return [document_out(d, jobs.get(d.id), positions) for d in documents]


@router.get("/documents/{document_id}", response_model=DocumentOut)
def get_document(document_id: str, service: KnowledgeService = Depends(get_service),
                 runtime: Runtime = Depends(get_runtime), caller: Caller = Depends(current_caller)):
    document = service.readable_document(document_id, caller=caller)
    job = runtime.metadata.latest_jobs([document.id]).get(document.id)
    return document_out(document, job, runtime.metadata.queue_positions([job] if job else []))


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(document_id: str, service: KnowledgeService = Depends(get_service),
                    caller: Caller = Depends(current_caller)):
    """Removes the document from the metadata store, the vector index and the file store (its knowledge base's
    admins)."""
    service.delete_document(document_id, caller=caller)


@router.patch("/documents/{document_id}/readers", response_model=DocumentOut)
def set_document_readers(document_id: str, body: DocumentReaders, service: KnowledgeService = Depends(get_service),
                         runtime: Runtime = Depends(get_runtime), caller: Caller = Depends(current_caller)):
    """Who among the knowledge base's readers may read the document (its knowledge base's admins). Applies at
    once: the chunks' access list is changed in place, nothing is re-embedded."""
    document = service.set_document_readers(document_id, body.readers, caller=caller)
    job = runtime.metadata.latest_jobs([document.id]).get(document.id)
    return document_out(document, job, runtime.metadata.queue_positions([job] if job else []))


@router.get("/documents/{document_id}/flagged-chunks", response_model=list[SearchHitOut])
def flagged_chunks(document_id: str, service: KnowledgeService = Depends(get_service),
                   caller: Caller = Depends(current_caller)):
    """The document's passages the guardrails flagged at ingestion (e.g. instructions aimed at the assistant),
    with the reasons in `flags`. They are kept in the index but not used as evidence for answers."""
    return [hit_out(hit) for hit in service.flagged_chunks(document_id, caller=caller)]


@router.post("/documents/{document_id}/reindex", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def reindex_document(document_id: str, service: KnowledgeService = Depends(get_service),
                     runtime: Runtime = Depends(get_runtime), caller: Caller = Depends(current_caller)):
    """Ingest the stored original again (after changing the embedder, chunking or collection)."""
    job = runtime.metadata.get_job(service.reindex_document(document_id, caller=caller))
    return job_out(job, runtime.metadata.queue_positions([job]))


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: str, service: KnowledgeService = Depends(get_service), runtime: Runtime = Depends(get_runtime),
            caller: Caller = Depends(current_caller)):
    """A job's state: while pending, its lane and place in that lane's queue; while running, the worker."""
    job = runtime.metadata.get_job(job_id)
    try:
        service.readable_document(job.document_id, caller=caller)
    except ZhikuError:
        raise NotFound(f"job {job_id!r} not found") from None
    return job_out(job, runtime.metadata.queue_positions([job]))


