"""OpenAI-compatible chat completions where `model` names a knowledge base (filled in by the ecosystem work)."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["openai-compatible"], prefix="/v1")
