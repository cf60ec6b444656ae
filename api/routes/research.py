"""Research: structured extraction from research reports and bond documents, and Q&A over chosen reports."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["research"], prefix="/research")
