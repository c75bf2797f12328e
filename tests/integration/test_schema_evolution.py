"""Schema evolution on the real registry and broker, under FULL_TRANSITIVE."""

from __future__ import annotations

import copy
import json

from confluent_kafka.schema_registry import Schema

from schemas.avsc import project_schema
from schemas.registry_admin import COMPATIBILITY_LEVEL, SchemaRegistrar, SubjectSchema, register_all
from schemas.registry_client import list_subjects
from schemas.serde import AvroEventSerde
from schemas.subjects import subject_name
from tests import factories
from tests.kafka_helpers import consume, create_topic, produce

UPDATE = "io.officestream.EmailUpdateEvent"
BATCH = "io.officestream.EmailBackfillEvent"


def v1(record: str = UPDATE) -> dict:
    return copy.deepcopy(project_schema(record))


def with_importance() -> dict:
    """v2: a new optional field with a default."""
    schema = v1()
    schema["fields"].append(
        {"name": "importance", "type": ["null", "string"], "default": None, "doc": "Provider importance flag."}
    )
    return schema


def without_field(name: str) -> dict:
    schema = v1()
    schema["fields"] = [f for f in schema["fields"] if f["name"] != name]
    return schema


def item(topic: str, schema: dict, record: str = UPDATE) -> SubjectSchema:
    return SubjectSchema(subject_name(topic, record), record, schema)


def test_adding_an_optional_field_with_a_default_registers(registry, unique):
    registrar = SchemaRegistrar(registry)
    topic = f"evo-{unique}"
    assert registrar.register(item(topic, v1())).status == "registered"
    report = registrar.register(item(topic, with_importance()))
    assert (report.status, report.version) == ("registered", 2)
    assert registry.get_compatibility(subject_name(topic, UPDATE)) == COMPATIBILITY_LEVEL
    assert registrar.register(item(topic, with_importance())).status == "unchanged"


def test_removing_a_field_without_default_is_refused(registry, unique):
    registrar = SchemaRegistrar(registry)
    topic = f"evo-{unique}"
    registrar.register(item(topic, v1()))
    report = registrar.register(item(topic, without_field("email_id")))
    assert report.status == "incompatible"
    assert any("readers on version 1 cannot read" in r and "(email_id)" in r for r in report.reasons)
    assert registry.get_versions(subject_name(topic, UPDATE)) == [1]


def test_changing_a_field_type_is_refused(registry, unique):
    registrar = SchemaRegistrar(registry)
    topic = f"evo-{unique}"
    registrar.register(item(topic, v1(BATCH), BATCH))
    changed = v1(BATCH)
    next(f for f in changed["fields"] if f["name"] == "batch_index")["type"] = "string"
    report = registrar.register(item(topic, changed, BATCH))
    assert report.status == "incompatible"
    assert any("type_mismatch" in r for r in report.reasons)
    assert registry.get_versions(subject_name(topic, BATCH)) == [1]


def test_incompatible_change_is_refused_where_the_registry_does_not_enforce(registry, unique):
    # Registered by someone else with no compatibility level: Apicurio then accepts anything.
    subject = subject_name(f"evo-{unique}", UPDATE)
    registry.register_schema(subject, Schema(json.dumps(v1()), "AVRO"))
    reports = register_all(SchemaRegistrar(registry), [SubjectSchema(subject, UPDATE, without_field("email_id"))])
    assert [r.status for r in reports] == ["incompatible"]
    assert registry.get_versions(subject) == [1]


def evolve_through_kafka(stack, registry, unique, writer: AvroEventSerde, reader: AvroEventSerde, datum: dict) -> dict:
    topic = f"evo-{unique}"
    create_topic(stack.kafka, topic)
    produce(stack.kafka, topic, [(b"user-1", writer.encode_datum(topic, UPDATE, datum), [])])
    [message] = consume(stack.kafka, topic, 1, group=f"g-{unique}")
    return reader.decode_datum(message.value()).datum


def test_a_consumer_on_v1_reads_messages_written_with_v2(stack, registry, unique):
    registrar = SchemaRegistrar(registry)
    topic = f"evo-{unique}"
    registrar.register(item(topic, v1()))
    registrar.register(item(topic, with_importance()))
    v2_producer = AvroEventSerde(registry, writer_schemas={UPDATE: with_importance()})
    v1_consumer = AvroEventSerde(registry)
    event = factories.email_update()
    datum = {**event.to_avro(), "importance": "high"}
    read = evolve_through_kafka(stack, registry, unique, v2_producer, v1_consumer, datum)
    assert "importance" not in read
    assert type(event).from_avro(read) == event


def test_a_consumer_on_v2_reads_messages_written_with_v1(stack, registry, unique):
    registrar = SchemaRegistrar(registry)
    topic = f"evo-{unique}"
    registrar.register(item(topic, v1()))
    registrar.register(item(topic, with_importance()))
    v1_producer = AvroEventSerde(registry)
    v2_consumer = AvroEventSerde(registry, reader_schemas={UPDATE: with_importance()})
    event = factories.email_update()
    read = evolve_through_kafka(stack, registry, unique, v1_producer, v2_consumer, event.to_avro())
    assert read["importance"] is None
    assert read["email_id"] == event.email_id and read["email"]["subject"] == event.email.subject


def test_register_all_registers_nothing_when_one_schema_is_incompatible(registry, unique):
    registrar = SchemaRegistrar(registry)
    topic = f"evo-{unique}"
    registrar.register(item(topic, v1()))
    reports = register_all(registrar, [item(topic, v1(BATCH), BATCH), item(topic, without_field("email_id"))])
    assert [r.status for r in reports] == ["new", "incompatible"]
    assert subject_name(topic, BATCH) not in list_subjects(registry)
