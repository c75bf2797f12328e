"""The ``officestream`` command. Commands parse input, call one function, and print the result."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
import zoneinfo
from pathlib import Path
from collections.abc import Callable
from typing import TypeVar

import typer

from connectors.kafka.admin import ensure_topics
from connectors.kafka.event_subjects import SubjectPlan, event_subjects
from connectors.kafka.exceptions import KafkaBoundaryError
from connectors.kafka.settings import KafkaSettings
from ops.stack import manager
from processors.meetings.busy import busy_intervals
from processors.meetings.state import user_meetings
from processors.meetings.upcoming import upcoming
from processors.shipments.email_file import extract_from_file
from processors.shipments.exceptions import ShipmentsError
from ops.stack.component import ComponentStatus
from ops.stack.exceptions import ComponentFailed, StackError
from ops.stack.settings import StackSettings
from schemas.avsc import AVRO_DIR, load_event_schemas
from schemas.envsettings import SettingsError
from schemas.exceptions import SchemasError
from schemas.registry_admin import SchemaRegistrar, SubjectReport, register_all
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="officestream: Office data on Kafka.")
stack_app = typer.Typer(no_args_is_help=True, help="The embedded local stack (Kafka, registry, Redis).")
topics_app = typer.Typer(no_args_is_help=True, help="The topic catalogue.")
schemas_app = typer.Typer(no_args_is_help=True, help="Event schemas in the schema registry.")
app.add_typer(stack_app, name="stack")
app.add_typer(topics_app, name="topics")
app.add_typer(schemas_app, name="schemas")
meetings_app = typer.Typer(no_args_is_help=True, help="Read the meetings service's state.")
app.add_typer(meetings_app, name="meetings")
shipments_app = typer.Typer(no_args_is_help=True, help="The shipments service's extraction.")
app.add_typer(shipments_app, name="shipments")

F = TypeVar("F", bound=Callable[..., object])


def one_line_errors(command: F) -> F:
    """Known errors end the command with one line on stderr (and a log tail where there is one)."""

    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return command(*args, **kwargs)
        except (SettingsError, StackError, KafkaBoundaryError, SchemasError) as exc:
            typer.echo(f"error: {exc}", err=True)
            if isinstance(exc, ComponentFailed) and exc.log_tail:
                typer.echo(f"--- last lines of the {exc.component} log ---\n{exc.log_tail}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _print_status(settings: StackSettings, statuses: list[ComponentStatus]) -> None:
    typer.echo(f"state and logs: {settings.dir}")
    for s in statuses:
        health = "healthy" if s.probe.healthy else "DOWN"
        pid = s.pid if s.pid is not None else "-"
        typer.echo(f"{s.name:<9} {health:<8} version={s.probe.version:<8} pid={pid:<8} {s.address}  ({s.probe.detail})")


@stack_app.command("up")
@one_line_errors
def stack_up() -> None:
    """Start Kafka, the schema registry and Redis (downloads them on the first run)."""
    settings = StackSettings.from_env()
    _print_status(settings, manager.up(settings))


@stack_app.command("down")
@one_line_errors
def stack_down() -> None:
    """Stop the processes `stack up` started."""
    stopped = manager.down(StackSettings.from_env())
    typer.echo(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")


@stack_app.command("status")
@one_line_errors
def stack_status() -> None:
    """Show each component; exits 1 if any is down."""
    settings = StackSettings.from_env()
    statuses = manager.status(settings)
    _print_status(settings, statuses)
    if not all(s.probe.healthy for s in statuses):
        raise typer.Exit(1)


@topics_app.command("create")
@one_line_errors
def topics_create(dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan, change nothing.")) -> None:
    """Create the catalogue's topics and fix drifted configs (idempotent)."""
    settings = KafkaSettings.from_env()
    plan = ensure_topics(settings, dry_run=dry_run)
    typer.echo(f"{'plan' if dry_run else 'applied'} for {settings.bootstrap_servers}:")
    for action in plan:
        typer.echo(f"  {action.describe()}")


def _subject_plan(directory: Path) -> tuple[SchemaRegistrar, SubjectPlan, str]:
    registry = RegistrySettings.from_env()
    plan = event_subjects(KafkaSettings.from_env(), load_event_schemas(directory))
    for record_name in plan.unrouted:
        typer.echo(f"note: {record_name} is carried by no topic in connectors/kafka/topics.py; not registered", err=True)
    return SchemaRegistrar(registry_client(registry)), plan, registry.url


def _print_reports(reports: list[SubjectReport]) -> bool:
    for report in reports:
        typer.echo(report.describe())
    return not any(r.status == "incompatible" for r in reports)


@schemas_app.command("register")
@one_line_errors
def schemas_register() -> None:
    """Register every event schema under its topic's subject (FULL_TRANSITIVE, idempotent).
    Nothing is registered when any schema is incompatible."""
    registrar, plan, url = _subject_plan(AVRO_DIR)
    typer.echo(f"registry {url}:")
    if not _print_reports(register_all(registrar, plan.subjects)):
        typer.echo("error: incompatible schemas; nothing was registered", err=True)
        raise typer.Exit(1)


@schemas_app.command("check")
@one_line_errors
def schemas_check(
    directory: Path = typer.Argument(AVRO_DIR, help="Folder of .avsc files (default: the project's)."),
) -> None:
    """Check .avsc files against the registry's registered versions; exit 1 if any is incompatible."""
    registrar, plan, url = _subject_plan(directory)
    typer.echo(f"registry {url}, schemas {directory}:")
    if not _print_reports([registrar.check(item) for item in plan.subjects]):
        raise typer.Exit(1)


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


#: Services and the module of their faust app (``faust -A <module> worker``).
WORKER_MODULES = {
    "vespa-loader": "processors.vespa_loader.app",
    "meetings": "processors.meetings.app",
    "shipments": "processors.shipments.app",
    "notifier": "processors.notifier.app",
}


@app.command("worker")
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


def main() -> None:
    app(prog_name="officestream")


if __name__ == "__main__":
    sys.exit(main())
