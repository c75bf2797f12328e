"""`officestream vespa check`: the application package as Vespa's own config model reads it."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ops.cli.errors import one_line_errors
from ops.stack.settings import StackSettings
from ops.vespa.config_model import install
from processors.vespa_loader.application_package import APPLICATION_DIR

vespa_app = typer.Typer(no_args_is_help=True, help="The Vespa application package, checked without a running Vespa.")


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
