"""Domain objects → response bodies."""
from __future__ import annotations

from dataclasses import asdict

from api.schemas import CitationOut, DocumentOut, JobOut, SearchHitOut, StageScoresOut
from core.models import Document, IngestionJob
from retrieval.search_hit import SearchHit


def hit_out(hit: SearchHit) -> SearchHitOut:
    return SearchHitOut(chunk_id=hit.chunk_id, text=hit.text, context=hit.parent_text, score=hit.score,
                        scores=StageScoresOut(**asdict(hit.scores)),
                        citation=CitationOut(**asdict(hit.citation), label=hit.citation.label()))


def document_out(document: Document, job: IngestionJob | None = None) -> DocumentOut:
    out = DocumentOut.model_validate(document)
    out.latest_job = JobOut.model_validate(job) if job is not None else None
    return out
