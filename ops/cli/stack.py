"""`officestream stack up | down | status` and `officestream topics create`."""

from __future__ import annotations

import typer

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from ops.cli.errors import one_line_errors
from ops.stack import manager
from ops.stack.component import ComponentStatus
from ops.stack.settings import MAX_KAFKA_BROKERS, StackSettings

stack_app = typer.Typer(no_args_is_help=True, help="The embedded local stack (Kafka, registry, Redis).")
topics_app = typer.Typer(no_args_is_help=True, help="The topic catalogue.")


def _print_status(settings: StackSettings, statuses: list[ComponentStatus]) -> None:
    typer.echo(f"state and logs: {settings.dir}")
    for s in statuses:
        health = "healthy" if s.probe.healthy else "DOWN"
        pid = s.pid if s.pid is not None else "-"
        typer.echo(f"{s.name:<9} {health:<8} version={s.probe.version:<8} pid={pid:<8} {s.address}  ({s.probe.detail})")
    if settings.kafka_brokers > 1:
        # What clients need to use the cluster as one: every broker, and topics replicated.
        typer.echo(
            f"clients: OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS={settings.bootstrap_servers} "
            f"OFFICESTREAM_KAFKA_REPLICATION_FACTOR={settings.replication_factor} "
            f"OFFICESTREAM_KAFKA_MIN_INSYNC_REPLICAS={settings.min_insync_replicas}"
        )


@stack_app.command("up")
@one_line_errors
def stack_up(
    brokers: int | None = typer.Option(
        None, "--brokers", min=1, max=MAX_KAFKA_BROKERS,
        help="Kafka nodes (broker + controller each); remembered for later commands. Default: as last time, else 1.",
    ),
) -> None:
    """Start Kafka, the schema registry and Redis (downloads them on the first run)."""
    settings = StackSettings.from_env(**({} if brokers is None else {"kafka_brokers": brokers}))
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
