"""The sources behind citations: a document's original file (with byte ranges, for audio and video players)
and one page as an image with its size in the unit of the citations' bounding boxes."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from zhiku.api.deps import current_caller, get_runtime, get_service
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.core.access import Caller
from zhiku.api.runtime import Runtime
from zhiku.api.schemas import DocumentTextOut, FeedbackIn, FeedbackOut
from zhiku.core.errors import UnsupportedFileType
from zhiku.ingest.chunker import canonical_text
from zhiku.ingest.page_images import render_page
from zhiku.ingest.parsing import parse_document

# Formats whose text is the whole preview (PDF pages, images and recordings have their own)
TEXT_PREVIEW_TYPES = frozenset({"docx", "xlsx", "pptx", "html", "markdown", "text", "csv", "eml"})

router = APIRouter(tags=["sources"])


# An original is whatever was uploaded (an HTML page with a script, an SVG, a PDF with JavaScript): it is never
# rendered on the service's origin. Browsers save it; media elements still play it from a cited time.
ORIGINAL_FILE_POLICY = "sandbox; default-src 'none'; media-src 'self'; frame-ancestors 'none'"


@router.get("/documents/{document_id}/file", response_class=FileResponse)
def document_file(document_id: str, runtime: Runtime = Depends(get_runtime),
                  service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """The original upload, as a download (`Content-Disposition: attachment`, `nosniff`, a sandboxing policy);
    supports Range requests so an audio or video player can start at a cited time."""
    document = service.readable_document(document_id, caller=caller)
    return FileResponse(runtime.files.path(document.content_hash), media_type=document.mime_type,
                        filename=document.name, content_disposition_type="attachment",
                        headers={"Content-Security-Policy": ORIGINAL_FILE_POLICY})


@router.get("/documents/{document_id}/text", response_model=DocumentTextOut)
def document_text(document_id: str, start: int = Query(0, ge=0, description="char_start of the citation"),
                  end: int = Query(0, ge=0, description="char_end of the citation"),
                  runtime: Runtime = Depends(get_runtime), service: KnowledgeService = Depends(get_service),
                  caller: Caller = Depends(current_caller)):
    """The text of a Markdown, DOCX, HTML, e-mail, spreadsheet, slide or plain-text document, as citations count
    its characters, cut into the parts before, at and after a cited span (so a preview can scroll to and mark
    it); personal data is masked as in search results. The original is parsed once: its text is kept beside it in
    the file store (by content hash) and removed with it. PDF, image and recording citations have page images and
    players instead (415)."""
    document = service.readable_document(document_id, caller=caller)
    if document.file_type not in TEXT_PREVIEW_TYPES:
        raise UnsupportedFileType(f"'{document.name}' is a {document.file_type} document: open its page image or "
                                  "player instead of a text preview")
    text = runtime.files.read_text(document.content_hash, document.file_type)
    if text is None:  # parsed once per content: the text is kept beside the original, and goes with it
        _, parsed = parse_document(runtime.files.read(document.content_hash), document.name)
        text = canonical_text(parsed.blocks)
        runtime.files.write_text(document.content_hash, document.file_type, text)
        if not runtime.files.path(document.content_hash).exists():  # the document was deleted meanwhile
            runtime.files.delete_derived(document.content_hash)
    start = min(start, len(text))
    end = min(max(end, start), len(text))
    policy = runtime.guardrail_policy(document.kb_id)
    return DocumentTextOut(before=policy.mask(text[:start]), cited=policy.mask(text[start:end]),
                           after=policy.mask(text[end:]))


@router.get("/documents/{document_id}/pages/{page}/image", response_class=Response,
            responses={200: {"content": {"image/png": {}}, "description": "The page as PNG. Headers "
                             "X-Page-Width, X-Page-Height and X-Page-Unit (pt on PDF pages, px on images) give the "
                             "size in the unit of the citations' bounding boxes; X-Page-Count the number of pages."}})
async def page_image(document_id: str, page: int = Path(ge=1), runtime: Runtime = Depends(get_runtime),
                     service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    document = await run_in_threadpool(service.readable_document, document_id, caller=caller)
    rendered = await run_in_threadpool(render_page, runtime.files.path(document.content_hash), document.file_type, page,
                                       runtime.media_options.max_image_pixels, name=document.name)
    return Response(rendered.png, media_type="image/png",
                    headers={"X-Page-Width": f"{rendered.width:.2f}", "X-Page-Height": f"{rendered.height:.2f}",
                             "X-Page-Unit": rendered.unit, "X-Page-Count": str(rendered.page_count),
                             "Cache-Control": "private, max-age=300",
                             "Access-Control-Expose-Headers": "X-Page-Width, X-Page-Height, X-Page-Unit, X-Page-Count"})


@router.post("/assistant/messages/{message_id}/feedback", response_model=FeedbackOut, status_code=201,
             tags=["office assistant"])
def give_feedback(message_id: str, body: FeedbackIn, runtime: Runtime = Depends(get_runtime),
                  service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """Thumbs up or down on an answer of one's own conversations, with an optional comment, kept for evaluation."""
    service.own_answer(message_id, caller=caller)
    feedback = runtime.conversations.add_feedback(message_id, body.rating, body.comment)
    return FeedbackOut(id=feedback.id, message_id=feedback.message_id, rating=feedback.rating,
                       comment=feedback.comment, created_at=feedback.created_at)


@router.get("/assistant/feedback", response_model=list[FeedbackOut], tags=["office assistant"])
def list_feedback(limit: int = 500, runtime: Runtime = Depends(get_runtime),
                  service: KnowledgeService = Depends(get_service), caller: Caller = Depends(current_caller)):
    """Newest first, each with its question and answer: export for evaluation. The caller's own (everyone's for a
    system admin where ZHIKU_ADMINS_SEE_USER_CONTENT allows)."""
    return [FeedbackOut(id=f.id, message_id=f.message_id, rating=f.rating, comment=f.comment,
                        created_at=f.created_at, question=question, answer=message.content,
                        answer_mode=message.answer_mode, model=message.model)
            for f, message, question in runtime.conversations.list_feedback(limit, service.content_owner(caller))]
