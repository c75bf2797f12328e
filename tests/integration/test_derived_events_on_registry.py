"""The services' derived events on the real registry: written only with registered schemas, and
their kinds able to grow under FULL_TRANSITIVE because the kind enums have a default symbol."""

from __future__ import annotations

import copy

import pytest
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from processors.common.derived_sender import avro_encoder
from processors.common.exceptions import WorkerMustStop
from processors.notifier.notifications import notification_for
from schemas.avsc import project_schema
from schemas.exceptions import RegistryUnavailable
from schemas.models import MeetingUpdateEvent, MeetingUpdateKind
from schemas.registry_admin import SchemaRegistrar, SubjectSchema
from schemas.serde import AvroEventSerde
from schemas.subjects import subject_name
from tests import factories
from tests.http_fakes import free_port

UPDATE = MeetingUpdateEvent.avro_name


def with_kind(symbol: str | None, *, default: bool = True) -> dict:
    """MeetingUpdateEvent as a later version that announces a new kind of change (``symbol``),
    its kind enum with or without its default symbol."""
    schema = copy.deepcopy(project_schema(UPDATE))
    kind = next(field for field in schema["fields"] if field["name"] == "kind")["type"]
    kind["symbols"] += [symbol] if symbol else []
    if not default:
        del kind["default"]
    return schema


def test_a_new_kind_registers_and_reads_as_unknown_where_it_is_not_known_yet(registry, unique):
    topic = f"meeting-updates-{unique}"
    registrar = SchemaRegistrar(registry)
    assert registrar.register(SubjectSchema(subject_name(topic, UPDATE), UPDATE, project_schema(UPDATE))).status == "registered"
    report = registrar.register(SubjectSchema(subject_name(topic, UPDATE), UPDATE, with_kind("rescheduled")))
    assert report.status == "registered", report.reasons

    newer = AvroEventSerde(registry, writer_schemas={UPDATE: with_kind("rescheduled")})
    datum = {**factories.meeting_update().to_avro(), "kind": "rescheduled"}
    message = newer.encode_datum(topic, UPDATE, datum)
    read = AvroEventSerde(registry).decode(message)  # a service built with today's schema
    assert read.kind is MeetingUpdateKind.unknown and read.context is not None
    assert notification_for(read).kind == "meeting.updated"


def test_without_the_default_symbol_a_new_kind_would_break_older_readers(registry, unique):
    """Why the kind enums have one: a reader whose enum lacks a writer's symbol fails unless the
    enum has a default, so FULL_TRANSITIVE refuses the new symbol."""
    subject = subject_name(f"meeting-updates-{unique}", UPDATE)
    registrar = SchemaRegistrar(registry)
    assert registrar.register(SubjectSchema(subject, UPDATE, with_kind(None, default=False))).status == "registered"
    assert registrar.check(SubjectSchema(subject, UPDATE, with_kind("rescheduled", default=False))).status == "incompatible"


async def test_the_workers_announce_only_with_registered_schemas(stack, registry, unique, monkeypatch):
    monkeypatch.setenv("OFFICESTREAM_REGISTRY_URL", stack.registry.url)
    topic = f"shipment-updates-{unique}"
    event = factories.shipment_update()
    encode = avro_encoder(topic)
    with pytest.raises(WorkerMustStop, match="officestream schemas register"):
        await encode(event)
    AvroEventSerde(registry, auto_register=True).writer_schema_id(topic, event.avro_name)
    message = await encode(event)
    datum = AvroDeserializer(registry)(message, SerializationContext(topic, MessageField.VALUE))
    assert type(event).from_avro(datum) == event


async def test_a_registry_that_is_down_is_waited_out_not_a_reason_to_stop(monkeypatch, unique):
    monkeypatch.setenv("OFFICESTREAM_REGISTRY_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("OFFICESTREAM_REGISTRY_MAX_RETRIES", "0")
    with pytest.raises(RegistryUnavailable) as raised:
        await avro_encoder(f"shipment-updates-{unique}")(factories.shipment_update())
    assert raised.value.retriable
