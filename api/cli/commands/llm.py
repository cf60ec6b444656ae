"""`zhiku llm serve`: the local LLM server (llama.cpp, OpenAI-compatible)."""
from __future__ import annotations

import time

import typer

from zhiku.api.cli.common import fail
from zhiku.core.errors import ZhikuError
from zhiku.core.settings import get_settings

group = typer.Typer(no_args_is_help=True, help="The local LLM server (llama.cpp, OpenAI-compatible).")


@group.command("serve")
def serve(port: int = typer.Option(8080, help="Port on 127.0.0.1")):
    """Serve the local GGUF at http://127.0.0.1:PORT/v1 (then set ZHIKU_LLM_BASE_URL to it), until Ctrl-C."""
    from zhiku.answer.local_llm import LocalLlmServer, resolve_local_gguf

    settings = get_settings()
    try:
        server = LocalLlmServer(resolve_local_gguf(settings.llm_local_model_path), port=port,
                                context=settings.llm_local_context, threads=settings.model_threads).start()
    except ZhikuError as exc:
        fail(exc)
    typer.echo(f"local LLM at {server.base_url} (model {server.model}); Ctrl-C stops it")
    try:
        while server.is_running():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="llm")
