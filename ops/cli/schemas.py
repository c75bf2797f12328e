"""`officestream schemas register | check`."""

from __future__ import annotations

from pathlib import Path

import typer

from connectors.kafka.event_subjects import SubjectPlan, event_subjects
from connectors.kafka.settings import KafkaSettings
from ops.cli.errors import one_line_errors
from schemas.avsc import AVRO_DIR, load_event_schemas
from schemas.registry_admin import SchemaRegistrar, SubjectReport, register_all
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings

schemas_app = typer.Typer(no_args_is_help=True, help="Event schemas in the schema registry.")


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
