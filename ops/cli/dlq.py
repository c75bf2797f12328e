"""`officestream dlq list | show | replay`: the services' dead letters (ops/dlq/)."""

from __future__ import annotations

import json

import typer

from connectors.kafka.compacted import read_compacted
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import DLQ_REPLAYS
from connectors.redis.settings import RedisSettings
from ops.cli.errors import one_line_errors
from ops.dlq.exceptions import InvalidDlqRequest
from ops.dlq.letters import SERVICES, check_service, count_by_reason, parse_offsets, read_letters, select
from ops.dlq.originals import fetch_originals
from ops.dlq.replays import replay_letters, replay_record
from ops.dlq.show import letter_view
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde

dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: count, show and replay them.")


@dlq_app.command("list")
@one_line_errors
def dlq_list(service: str | None = typer.Argument(None, help=f"One of: {', '.join(SERVICES)} (default: all).")) -> None:
    """Dead letters by service and reason (the error's class), with how many were replayed."""
    kafka = KafkaSettings.from_env()
    replayed = read_compacted(kafka, kafka.topic(DLQ_REPLAYS))
    typer.echo(f"{'service':<14} {'reason':<28} {'letters':>7} {'replayed':>8}")
    for name in [check_service(service)] if service else SERVICES:
        letters = read_letters(kafka, name)
        for reason, count in sorted(count_by_reason(letters).items()):
            done = sum(1 for letter in letters if letter.reason == reason and replay_record(letter, replayed) is not None)
            typer.echo(f"{name:<14} {reason:<28} {count:>7} {done:>8}")


@dlq_app.command("show")
@one_line_errors
def dlq_show(
    service: str = typer.Argument(..., help=f"One of: {', '.join(SERVICES)}."),
    offset: int | None = typer.Option(None, "--offset", help="Only the letter at this offset of the dead-letter topic."),
    reason: str | None = typer.Option(None, "--reason", help="Only letters of this reason (error class, as `dlq list` shows)."),
    limit: int = typer.Option(20, "--limit", min=1, help="At most this many letters."),
) -> None:
    """SERVICE's dead letters, one JSON object per line: reason, source, headers, the message decoded."""
    kafka = KafkaSettings.from_env()
    offsets = range(offset, offset + 1) if offset is not None else None
    letters = select(read_letters(kafka, service), offsets=offsets, reason=reason, limit=limit)
    originals = fetch_originals(letters, RedisSettings.from_env())
    replayed = read_compacted(kafka, kafka.topic(DLQ_REPLAYS))
    serde = AvroEventSerde(registry_client(RegistrySettings.from_env()))
    for letter in letters:
        view = letter_view(letter, originals[letter.record.where], serde.decode, replay_record(letter, replayed))
        typer.echo(json.dumps(view, default=str))


@dlq_app.command("replay")
@one_line_errors
def dlq_replay(
    service: str = typer.Argument(..., help=f"One of: {', '.join(SERVICES)}."),
    offsets: str | None = typer.Option(None, "--offsets", help="A-B (both included) or N: offsets of the dead-letter topic."),
    reason: str | None = typer.Option(None, "--reason", help="Every letter of this reason (error class)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be replayed, publish nothing."),
) -> None:
    """Re-publish chosen letters to their source topics (once each); exit 1 if any was refused or failed."""
    if (offsets is None) == (reason is None):
        raise InvalidDlqRequest("give exactly one of --offsets A-B and --reason R")
    kafka = KafkaSettings.from_env()
    letters = select(read_letters(kafka, service), offsets=parse_offsets(offsets) if offsets else None, reason=reason)
    if not letters:
        typer.echo(f"error: no {service} dead letter matches", err=True)
        raise typer.Exit(1)
    outcomes = replay_letters(kafka, letters, fetch_originals(letters, RedisSettings.from_env()), dry_run=dry_run)
    for outcome in outcomes:
        typer.echo(outcome.describe())
    if any(o.status in ("refused", "failed") for o in outcomes):
        raise typer.Exit(1)
