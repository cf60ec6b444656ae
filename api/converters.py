"""Domain objects → response bodies."""
from __future__ import annotations

from dataclasses import asdict

from zhiku.answer.grounded_answerer import Answer
from zhiku.api.schemas import (AnswerResponse, AnswerSentenceBody, CitationOut, DocumentOut, JobOut, SearchHitOut,
                         StageScoresOut)
from zhiku.core.models import Document, IngestionJob
from zhiku.retrieval.search_hit import SearchHit


def hit_out(hit: SearchHit) -> SearchHitOut:
    return SearchHitOut(chunk_id=hit.chunk_id, text=hit.text, context=hit.parent_text, score=hit.score,
                        scores=StageScoresOut(**asdict(hit.scores)),
                        citation=CitationOut(**asdict(hit.citation), label=hit.citation.label()),
                        flags=list(hit.payload.get("guardrail_flags") or []))


def document_out(document: Document, job: IngestionJob | None = None,
                 queue_positions: dict[str, int] | None = None) -> DocumentOut:
    out = DocumentOut.model_validate(document)
    out.latest_job = job_out(job, queue_positions) if job is not None else None
    return out


def job_out(job: IngestionJob, queue_positions: dict[str, int] | None = None) -> JobOut:
    out = JobOut.model_validate(job)
    out.queue_position = (queue_positions or {}).get(job.id)
    return out


def answer_out(question: str, answer: Answer) -> AnswerResponse:
    return AnswerResponse(question=question, answer=answer.text, found=answer.found, mode=answer.mode,
                          model=answer.model,
                          sentences=[AnswerSentenceBody(text=s.text, citations=s.citations, supported=s.supported)
                                     for s in answer.sentences],
                          citations=[hit_out(h) for h in answer.citations], removed_sentences=len(answer.removed),
                          time_to_first_token=answer.time_to_first_token, total_seconds=answer.total_seconds)
