"""Stand-ins for the unit tests of what a service does when a message comes again."""

from __future__ import annotations

import io
from functools import cache
from typing import Any

import fastavro

from schemas.avsc import project_schema
from schemas.models import Event


class Crash(Exception):
    """The worker dying where a derived event would have been sent."""


class RecordingTable(dict):
    """A dict for a faust table that keeps every write, as the table's changelog receives them."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[str, Any]] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes.append((key, value))
        super().__setitem__(key, value)


@cache
def _parsed_schema(record_name: str) -> Any:
    return fastavro.parse_schema(project_schema(record_name))


def through_avro(event: Event) -> Event:
    """``event`` written with its ``.avsc`` schema and read back, as the serde would (without a
    registry): a derived event a service announces must fit its schema."""
    schema = _parsed_schema(event.avro_name)
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, event.to_avro())
    buffer.seek(0)
    return type(event).from_avro(fastavro.schemaless_reader(buffer, schema))


def per_emission_removed(event: Event) -> dict[str, Any]:
    """What every emission of a derived event must repeat: all but when it was produced and its span."""
    return event.model_dump(exclude={"metadata": {"produced_at", "span_id"}})
