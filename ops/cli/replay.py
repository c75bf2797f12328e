"""`officestream replay`: move a consumer group's committed offsets (ops/replay/)."""

from __future__ import annotations

import typer

from connectors.kafka.consumer_groups import ConsumerGroups
from connectors.kafka.settings import KafkaSettings
from ops.cli.errors import one_line_errors
from ops.replay.offsets import parse_target, resolve_group, resolve_topic
from ops.replay.reset import ReplayRequest, replay


@one_line_errors
def replay_command(
    group: str = typer.Option(..., "--group", help="A service (vespa-loader, meetings, shipments: its group, topic prefix applied) or a group id."),
    topic: list[str] = typer.Option(..., "--topic", help="A catalogue topic (prefix applied) or a topic name; repeatable."),
    to_datetime: str | None = typer.Option(None, "--to-datetime", help="ISO 8601 with a zone: the first record at or after it."),
    to_offset: int | None = typer.Option(None, "--to-offset", help="This offset (clamped to what the partition holds)."),
    to_earliest: bool = typer.Option(False, "--to-earliest", help="The first record each partition still holds."),
    shift_by: int | None = typer.Option(None, "--shift-by", help="The committed offset moved by N (-N: N records back)."),
    partition: int | None = typer.Option(None, "--partition", help="Only this partition (default: all)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan, change nothing."),
    into: str | None = typer.Option(None, "--into", help="Write the offsets to this new group instead (a side group)."),
) -> None:
    """Reset GROUP's committed offsets on TOPIC; refused while the group has live members."""
    kafka = KafkaSettings.from_env()
    request = ReplayRequest(
        group=resolve_group(group, kafka),
        topics=tuple(resolve_topic(t, kafka) for t in topic),
        target=parse_target(to_datetime=to_datetime, to_offset=to_offset, to_earliest=to_earliest, shift_by=shift_by),
        partition=partition,
        dry_run=dry_run,
        into=into,
    )
    plan = replay(ConsumerGroups(kafka), request)
    verb = "would move (dry run, nothing changed)" if dry_run else "moved"
    side = f" into side group {into} (copied from {request.group})" if into else ""
    typer.echo(f"group {request.group}{side}: {verb} {request.target.describe()}")
    for reset in plan:
        typer.echo(f"  {reset.describe()}")
