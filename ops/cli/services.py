"""The services from the command line: `worker`, `meetings upcoming | busy | attendees`, `shipments extract`."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import zoneinfo
from pathlib import Path

import typer

from connectors.kafka.settings import KafkaSettings
from ops.cli.errors import one_line_errors
from processors.meetings.busy import busy_intervals
from processors.meetings.state import user_attendees, user_meetings
from processors.meetings.upcoming import upcoming
from processors.shipments.email_file import extract_from_file
from processors.shipments.exceptions import ShipmentsError

meetings_app = typer.Typer(no_args_is_help=True, help="Read the meetings service's state.")
shipments_app = typer.Typer(no_args_is_help=True, help="The shipments service's extraction.")

#: Services and the module of their faust app (``faust -A <module> worker``).
WORKER_MODULES = {
    "vespa-loader": "processors.vespa_loader.app",
    "meetings": "processors.meetings.app",
    "shipments": "processors.shipments.app",
    "notifier": "processors.notifier.app",
}


def worker(
    service: str = typer.Argument(..., help=f"One of: {', '.join(WORKER_MODULES)}."),
    loglevel: str = typer.Option("info", "--loglevel", "-l"),
) -> None:
    """Start a faust worker for SERVICE: the same as `faust -A processors.<service>.app worker -l info`."""
    if service not in WORKER_MODULES:
        typer.echo(f"error: unknown service {service!r}; choose one of {', '.join(WORKER_MODULES)}", err=True)
        raise typer.Exit(2)
    faust = Path(sys.executable).parent / "faust"
    os.execv(str(faust), [str(faust), "-A", WORKER_MODULES[service], "worker", "-l", loglevel])


@meetings_app.command("upcoming")
@one_line_errors
def meetings_upcoming(
    user: str,
    limit: int = typer.Option(10, min=1),
    tz: str = typer.Option("UTC", help="IANA zone for all-day events and the output."),
    me: list[str] = typer.Option([], "--me", help="The user's own addresses (declined meetings are skipped)."),
) -> None:
    """USER's next meetings (series expanded), one JSON object per line."""
    records = user_meetings(KafkaSettings.from_env(), user)
    now = dt.datetime.now(dt.UTC)
    for instance in upcoming(records, now, limit, tz=_zone(tz), user_emails=me):
        typer.echo(json.dumps({
            "event_id": instance.event_id, "title": instance.meeting.title,
            "start": instance.start.isoformat(), "end": instance.end.isoformat(),
            "attendance": instance.attendance.value,
        }))


@meetings_app.command("busy")
@one_line_errors
def meetings_busy(
    user: str,
    day: str = typer.Argument(..., metavar="DATE", help="YYYY-MM-DD, a local day in --tz."),
    tz: str = typer.Option("UTC", help="The user's IANA time zone."),
    me: list[str] = typer.Option([], "--me", help="The user's own addresses (declined meetings are free)."),
) -> None:
    """USER's busy intervals on DATE, merged, one JSON object per line."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        typer.echo(f"error: DATE must be YYYY-MM-DD, got {day!r}", err=True)
        raise typer.Exit(2) from None
    records = user_meetings(KafkaSettings.from_env(), user)
    for interval in busy_intervals(records, date, _zone(tz), user_emails=me):
        typer.echo(json.dumps({
            "start": interval.start.isoformat(), "end": interval.end.isoformat(),
            "minutes": int(interval.duration.total_seconds() // 60),
            "tentative": interval.tentative, "meeting_ids": list(interval.meeting_ids),
        }))


@meetings_app.command("attendees")
@one_line_errors
def meetings_attendees(
    user: str,
    email: str | None = typer.Option(None, "--email", help="Only this participant (case-insensitive)."),
) -> None:
    """Who USER meets: one JSON object per participant with the ids of their live meetings
    (declined, cancelled and deleted meetings left out)."""
    index = user_attendees(KafkaSettings.from_env(), user)
    for address, meeting_ids in index.items():
        if email is None or address == email.strip().lower():
            typer.echo(json.dumps({"email": address, "meeting_ids": meeting_ids}))


@shipments_app.command("extract")
def shipments_extract(file: Path = typer.Argument(..., help="An .eml file or a canonical Email JSON file.")) -> None:
    """Print the tracking numbers (carrier, status, merchant) found in FILE, as JSON."""
    try:
        findings = extract_from_file(file)
    except ShipmentsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(findings, indent=2, default=str))


def _zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        typer.echo(f"error: --tz {name!r} is not an IANA time zone (e.g. Europe/Berlin)", err=True)
        raise typer.Exit(2) from None
    return name
