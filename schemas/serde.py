"""The Confluent wire format on fastavro: magic byte 0, 4-byte big-endian schema id, Avro binary.

Written on fastavro rather than through ``confluent_kafka.schema_registry.avro``'s serializers
because the consumers need typed decode errors (bad magic byte, unknown schema id, truncated
payload, writer/reader mismatch) to dead-letter with a reason, and because it resolves every
writer schema to the project's own reader schema of the same record, which is what lets a
consumer built against v1 read v2 messages and the other way round. Registry lookups are cached:
one registry call per schema id (reading) and per subject (writing), never per message.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import fastavro
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from fastavro.read import SchemaResolutionError
from pydantic import ValidationError

from schemas.avsc import project_schema
from schemas.exceptions import (
    BadMagicByte,
    DeserializationError,
    InvalidEvent,
    RegistryError,
    RegistryMisconfigured,
    SchemaFileError,
    SchemaMismatch,
    SchemaNotRegistered,
    SerializationError,
    TruncatedPayload,
    UnknownEventType,
    UnknownSchemaId,
)
from schemas.models import EVENT_MODELS, AvroModel, Event
from schemas.registry_client import NOT_FOUND_CODES, call_registry
from schemas.subjects import subject_name
from schemas.union_hints import UnionHints

MAGIC_BYTE = 0
_HEADER = struct.Struct(">bI")


@dataclass(frozen=True)
class Decoded:
    """A decoded message: the writer's schema id, the event's record name, the Avro datum."""

    schema_id: int
    record_name: str
    datum: dict[str, Any]


@dataclass(frozen=True)
class _ReadPlan:
    record_name: str
    writer: Any
    reader: Any | None


class AvroEventSerde:
    """Encodes events for a topic and decodes any officestream message. Thread-compatible:
    the caches only ever grow, with idempotent entries."""

    def __init__(
        self,
        client: SchemaRegistryClient,
        *,
        auto_register: bool = False,
        reader_schemas: Mapping[str, dict[str, Any]] | None = None,
        writer_schemas: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        """``auto_register`` registers unknown writer schemas (tests, development); production
        producers leave it off and rely on ``officestream schemas register``. ``reader_schemas``
        and ``writer_schemas`` pin the schema a record is read or written with (default: the
        project's ``.avsc`` of that name), e.g. for a service pinned to an older version."""
        self._client = client
        self._auto_register = auto_register
        self._reader_schemas = dict(reader_schemas or {})
        self._writer_overrides = dict(writer_schemas or {})
        self._write_ids: dict[tuple[str, str], int] = {}
        self._writer_schemas: dict[str, Any] = {}
        self._writer_hints: dict[str, UnionHints] = {}
        self._read_plans: dict[int, _ReadPlan] = {}

    # -- writing ---------------------------------------------------------------------------

    def encode(self, topic: str, event: AvroModel) -> bytes:
        """An event model as a Confluent wire-format message for ``topic``."""
        return self.encode_datum(topic, event.avro_name, event.to_avro())

    def encode_datum(self, topic: str, record_name: str, datum: dict[str, Any]) -> bytes:
        """A datum (dict) of the project schema ``record_name`` as a wire-format message."""
        schema_id = self._write_ids.get((topic, record_name))
        if schema_id is None:
            schema_id = self._schema_id_for(topic, record_name)
        buffer = io.BytesIO()
        buffer.write(_HEADER.pack(MAGIC_BYTE, schema_id))
        try:
            fastavro.schemaless_writer(buffer, self._writer_schemas[record_name], self._writer_hints[record_name](datum))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise SerializationError(f"{record_name} does not fit its schema: {type(exc).__name__}: {exc}") from exc
        return buffer.getvalue()

    def writer_schema_id(self, topic: str, record_name: str) -> int:
        """The registry id ``record_name`` is written with on ``topic`` (a registry call the first
        time): lets a producer find out before its first event that the registry is reachable
        and the schema registered (``SchemaNotRegistered`` otherwise)."""
        return self._write_ids.get((topic, record_name)) or self._schema_id_for(topic, record_name)

    def _schema_id_for(self, topic: str, record_name: str) -> int:
        schema = self._writer_overrides.get(record_name) or project_schema(record_name)
        subject = subject_name(topic, record_name)
        registered = Schema(json.dumps(schema), "AVRO")
        if self._auto_register:
            schema_id = call_registry(f"register {subject}", self._client.register_schema, subject, registered)
        else:
            try:
                found = call_registry(f"look up {subject}", self._client.lookup_schema, subject, registered)
            except RegistryError as exc:
                if exc.error_code in NOT_FOUND_CODES:
                    raise SchemaNotRegistered(
                        f"{subject}: this version of {record_name} is not registered; run `officestream schemas register`",
                        http_status=exc.http_status,
                        error_code=exc.error_code,
                    ) from exc
                raise
            schema_id = found.schema_id
        self._writer_schemas[record_name] = fastavro.parse_schema(schema)
        self._writer_hints[record_name] = UnionHints(schema)
        self._write_ids[(topic, record_name)] = schema_id
        return schema_id

    # -- reading ---------------------------------------------------------------------------

    def decode(self, payload: bytes | None) -> Event:
        """A wire-format message as its event model; every failure is a DeserializationError."""
        decoded = self.decode_datum(payload)
        model = EVENT_MODELS.get(decoded.record_name)
        if model is None:
            raise UnknownEventType(f"schema {decoded.schema_id} is {decoded.record_name}, which is not an officestream event")
        try:
            return model.from_avro(decoded.datum)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or decoded.record_name
            raise InvalidEvent(f"{decoded.record_name} breaks its model at {where}: {first['msg']}") from exc

    def knows_writer_of(self, payload: bytes | None) -> bool:
        """True when decoding ``payload`` needs no registry call (its schema id is cached, or
        the payload is too short or malformed to get that far). Lets async callers move only
        the rare registry-bound decodes off their event loop."""
        if payload is None or len(payload) < _HEADER.size or payload[0] != MAGIC_BYTE:
            return True
        return _HEADER.unpack_from(payload)[1] in self._read_plans

    def decode_datum(self, payload: bytes | None) -> Decoded:
        """A wire-format message as a datum, resolved to the project's reader schema."""
        if payload is None or len(payload) < _HEADER.size:
            size = 0 if payload is None else len(payload)
            raise TruncatedPayload(f"message of {size} bytes is shorter than the 5-byte wire-format header")
        magic, schema_id = _HEADER.unpack_from(payload)
        if magic != MAGIC_BYTE:
            raise BadMagicByte(f"first byte is {magic & 0xFF:#04x}, not the wire format's magic byte 0x00")
        plan = self._read_plans.get(schema_id) or self._plan(schema_id)
        body = io.BytesIO(payload)
        body.seek(_HEADER.size)
        try:
            datum = fastavro.schemaless_reader(body, plan.writer, plan.reader)
        except SchemaResolutionError as exc:
            raise SchemaMismatch(f"schema {schema_id} ({plan.record_name}) cannot be read as ours: {exc}") from exc
        except (EOFError, StopIteration, IndexError, struct.error) as exc:
            raise TruncatedPayload(f"Avro body of schema {schema_id} ({plan.record_name}) ends early") from exc
        except (ValueError, UnicodeDecodeError, OverflowError) as exc:
            raise DeserializationError(f"Avro body of schema {schema_id} ({plan.record_name}) is corrupt: {exc}") from exc
        if body.tell() != len(payload):
            raise DeserializationError(
                f"{len(payload) - body.tell()} bytes left over after the Avro body of schema {schema_id}"
            )
        return Decoded(schema_id, plan.record_name, datum)

    def _plan(self, schema_id: int) -> _ReadPlan:
        try:
            registered = call_registry(f"schema id {schema_id}", self._client.get_schema, schema_id)
        except RegistryError as exc:
            # A "not found" of the registry itself: this message names a schema nobody has
            # (poison). Anything else (down, access denied, a URL that is not a registry) is
            # not the message's fault and is raised as it is.
            if exc.error_code in NOT_FOUND_CODES or (exc.http_status == 404 and not isinstance(exc, RegistryMisconfigured)):
                raise UnknownSchemaId(f"schema id {schema_id} is unknown to the registry") from exc
            raise
        writer_json = json.loads(registered.schema_str)
        record_name = _full_name(writer_json)
        try:
            reader_json = self._reader_schemas.get(record_name) or project_schema(record_name)
        except SchemaFileError:
            reader_json = writer_json  # not one of ours: read it as written
        writer, reader = fastavro.parse_schema(writer_json), fastavro.parse_schema(reader_json)
        # fastavro compares writer and reader on every read when both are given; decide it once
        # per schema id here (None: read with the writer's schema, no resolution needed).
        plan = _ReadPlan(record_name, writer, None if reader == writer else reader)
        self._read_plans[schema_id] = plan
        return plan


def _full_name(schema: Any) -> str:
    if not isinstance(schema, dict) or "name" not in schema:
        return "<unnamed>"
    name, namespace = schema["name"], schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"
