"""`zhiku serve`: the HTTP API."""
from __future__ import annotations

import logging
import os
from typing import Optional

import typer

from zhiku.core.settings import get_settings


def serve(host: Optional[str] = typer.Option(None, help="Bind address (default ZHIKU_HOST)"),
          port: Optional[int] = typer.Option(None, help="Port (default ZHIKU_PORT)"),
          demo: bool = typer.Option(False, "--demo", help="Load the demo knowledge base at start-up")):
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    if demo:
        os.environ["ZHIKU_LOAD_DEMO"] = "true"
        get_settings.cache_clear()
    settings = get_settings()
    logging.basicConfig(level=logging.INFO)
    uvicorn.run("zhiku.api.app:create_app", factory=True, host=host or settings.host, port=port or settings.port)


def register(app: typer.Typer) -> None:
    app.command()(serve)
