"""`officestream vespa check`: the application package as Vespa's own config model reads it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import typer

from ops.cli.errors import one_line_errors
from ops.stack.settings import StackSettings
from ops.vespa.config_model import install
from ops.vespa.deploy import deploy
from processors.vespa_loader.application_package import APPLICATION_DIR

vespa_app = typer.Typer(no_args_is_help=True, help="The Vespa application package: checked without a Vespa, or deployed to one.")


@vespa_app.command("check")
@one_line_errors
def vespa_check(
    application: Path = typer.Argument(
        APPLICATION_DIR, exists=True, file_okay=False, help="Application package folder (default: the project's)."
    ),
    schemas_only: bool = typer.Option(False, "--schemas-only", help="Parse schemas/*.sd only, not services.xml."),
) -> None:
    """Read the package with Vespa's config model (fetched on first use) and print what Vespa read
    as JSON: document types, fields, types, content clusters. Exit 1 with Vespa's message if it
    refuses the package."""
    reading = install(StackSettings.from_env()).read(application, model=not schemas_only)
    typer.echo(json.dumps(reading.raw, indent=2))


@vespa_app.command("deploy")
@one_line_errors
def vespa_deploy(
    config_server: str = typer.Option("http://127.0.0.1:19071", "--config-server", help="Vespa's config server URL."),
    application: Path = typer.Option(APPLICATION_DIR, "--application", exists=True, file_okay=False,
                                     help="Application package folder (default: the project's)."),
    wait_s: float = typer.Option(300.0, "--wait-s", min=0, help="How long to wait for the config server to come up."),
) -> None:
    """Deploy the package to a running Vespa (prepare and activate); exit 1 with Vespa's message
    if it refuses. Idempotent: docker-compose runs it as a one-shot on every start."""
    with httpx.Client(timeout=60) as client:
        message = deploy(client, config_server, application, wait_s=wait_s)
    typer.echo(f"deployed {application} to {config_server}: {message}")
