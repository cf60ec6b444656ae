"""`zhiku serve`: the HTTP API. While it runs, <data_dir>/api-server.json tells the other `zhiku` commands
to talk to it instead of opening the data folder themselves (api/cli/server_file.py)."""
from __future__ import annotations

import logging
import os
from typing import Optional

import typer

from zhiku.core.settings import get_settings


def _local_url(host: str, port: int) -> str:
    """The address a command on this machine reaches the server at (a wildcard bind answers on loopback)."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(host: Optional[str] = typer.Option(None, help="Bind address (default ZHIKU_HOST)"),
          port: Optional[int] = typer.Option(None, help="Port (default ZHIKU_PORT)"),
          demo: bool = typer.Option(False, "--demo", help="Load the demo knowledge base at start-up")):
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from zhiku.api.cli.server_file import remove_server_file, running_server, write_server_file

    if demo:
        os.environ["ZHIKU_LOAD_DEMO"] = "true"
        get_settings.cache_clear()
    settings = get_settings()
    other = running_server(settings.data_dir)
    if other is not None and other.pid != os.getpid():
        typer.secho(f"error: a Zhiku server (pid {other.pid}) already serves the data folder {settings.data_dir} "
                    f"at {other.url}; stop it first, or give this one another ZHIKU_DATA_DIR", fg=typer.colors.RED,
                    err=True)
        raise typer.Exit(2)
    logging.basicConfig(level=logging.INFO)
    bind_host = host or settings.host

    class AnnouncedServer(uvicorn.Server):
        """Writes the server file once the socket listens (its real port, also when --port 0)."""

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if self.should_exit or not self.servers:
                return
            bound = self.servers[0].sockets[0].getsockname()[1]
            write_server_file(settings.data_dir, bound, _local_url(bind_host, bound))

    config = uvicorn.Config("zhiku.api.app:create_app", factory=True, host=bind_host,
                            port=settings.port if port is None else port)
    try:
        AnnouncedServer(config).run()
    finally:
        remove_server_file(settings.data_dir)


def register(app: typer.Typer) -> None:
    app.command()(serve)
