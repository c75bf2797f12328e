"""How every command ends on a known error: one line on stderr, exit 1."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import typer

from connectors.google.exceptions import GoogleError
from connectors.kafka.exceptions import KafkaBoundaryError
from connectors.microsoft.exceptions import MicrosoftError
from connectors.redis.exceptions import PayloadStoreError
from ops.dlq.exceptions import DlqError
from ops.replay.exceptions import ReplayError
from ops.stack.exceptions import ComponentFailed, StackError
from ops.vespa.exceptions import VespaCheckError
from producers.exceptions import ProducerError
from schemas.envsettings import SettingsError
from schemas.exceptions import SchemasError

F = TypeVar("F", bound=Callable[..., object])


def one_line_errors(command: F) -> F:
    """Known errors end the command with one line on stderr (and a log tail where there is one)."""

    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return command(*args, **kwargs)
        except (SettingsError, StackError, KafkaBoundaryError, SchemasError, VespaCheckError, ProducerError,
                GoogleError, MicrosoftError, PayloadStoreError, ReplayError, DlqError) as exc:
            typer.echo(f"error: {exc}", err=True)
            if isinstance(exc, ComponentFailed) and exc.log_tail:
                typer.echo(f"--- last lines of the {exc.component} log ---\n{exc.log_tail}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
