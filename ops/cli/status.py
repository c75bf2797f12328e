"""`officestream status [--json]`: the whole system at a glance (``ops/status``)."""

from __future__ import annotations

import datetime as dt
import json

import typer

from ops.cli.backfill import job_summary
from ops.cli.errors import one_line_errors
from ops.status.report import StatusSources, gather_status
from ops.status.table import render


@one_line_errors
def status(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable: one JSON object."),
    recent_jobs: int = typer.Option(10, "--recent-jobs", min=0, help="Finished backfill jobs shown (newest)."),
) -> None:
    """Components, topics and end offsets, consumer lag, backfills, integrations and registry
    subjects. Exits 1 when Kafka, the registry or Redis is down, or a section cannot be read."""
    report = gather_status(StatusSources.from_env(), job_summary=job_summary, recent_jobs=recent_jobs)
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2, default=str))
    else:
        typer.echo(render(report, now=dt.datetime.now(dt.UTC)))
    if not report.ok:
        raise typer.Exit(1)
