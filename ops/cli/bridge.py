"""`officestream bridge serve`: the streaming bridge (internal API, webhooks, backfill queue,
live side) in the foreground until Ctrl-C / SIGTERM (``producers/bridge``)."""

from __future__ import annotations

import asyncio

import typer

from connectors import logs, tracing
from ops.cli.errors import one_line_errors
from producers.bridge.app import run_bridge
from producers.bridge.settings import BridgeSettings
from producers.bridge.wiring import bootstrap_bridge

bridge_app = typer.Typer(no_args_is_help=True, help="The streaming bridge: internal API, webhooks, backfill queue.")


@bridge_app.command("serve")
@one_line_errors
def serve(
    host: str | None = typer.Option(None, "--host", help="Address to listen on (default OFFICESTREAM_BRIDGE_HOST)."),
    port: int | None = typer.Option(None, "--port", help="Port (default OFFICESTREAM_BRIDGE_PORT)."),
    log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
) -> None:
    """Serve until stopped; prints the address once it listens."""
    logs.configure("office-bridge", level=log_level)
    tracing.configure("office-bridge")
    overrides = {name: value for name, value in (("host", host), ("port", port)) if value is not None}
    settings = BridgeSettings.from_env(**overrides)
    bridge = bootstrap_bridge(settings)
    asyncio.run(run_bridge(bridge, host=settings.host, port=settings.port,
                           on_ready=lambda url: typer.echo(f"bridge listening on {url}", err=True)))
