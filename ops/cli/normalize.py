"""`officestream normalize`: a provider payload (JSON file) to the canonical record, as JSON."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer


class ProviderName(StrEnum):
    microsoft = "microsoft"
    google = "google"


class Kind(StrEnum):
    email = "email"
    event = "event"
    contact = "contact"


def normalize(
    file: Path = typer.Argument(..., help="The provider's JSON payload (a Graph message, a Gmail message, ...)."),
    provider: ProviderName = typer.Option(..., "--provider"),
    kind: Kind = typer.Option(..., "--kind"),
) -> None:
    """Print the canonical record for FILE; a payload it cannot read, or of another kind than
    --kind, exits 1 saying what is wrong."""
    # Imported here: each provider package pulls in its client libraries.
    if provider is ProviderName.microsoft:
        from connectors.microsoft.normalize import NormalizationError, normalize as to_record
    else:
        from connectors.google.normalize import NormalizationError, normalize as to_record
    try:
        payload = json.loads(file.read_text())
    except OSError as exc:
        _fail(f"{file}: cannot read: {exc.strerror or exc}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _fail(f"{file}: not JSON: {exc}")
    except RecursionError:  # the decoder recurses once per level of nesting
        _fail(f"{file}: not JSON we can read: arrays and objects nest deeper than the reader allows (about {sys.getrecursionlimit()} levels)")
    if not isinstance(payload, dict):
        _fail(f"{file}: expected a JSON object, got {type(payload).__name__}")
    try:
        record = to_record(kind.value, payload)
    except NormalizationError as exc:
        _fail(f"{file}: {exc}")
    typer.echo(record.model_dump_json(indent=2))


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)
