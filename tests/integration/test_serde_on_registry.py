"""The serde against the real registry and broker: round trips, cached lookups, typed failures."""

from __future__ import annotations

import io
import json
import struct

import fastavro
import fastavro.schema
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from schemas.avsc import project_schema
from schemas.exceptions import (
    BadMagicByte,
    DeserializationError,
    InvalidEvent,
    RegistryUnavailable,
    SchemaMismatch,
    SchemaNotRegistered,
    TruncatedPayload,
    UnknownEventType,
    UnknownSchemaId,
)
from schemas.models import ChangeType
from schemas.serde import AvroEventSerde
from schemas.registry_settings import RegistrySettings
from schemas.subjects import subject_name
from tests import factories
from tests.kafka_helpers import consume, create_topic, produce


class CountingClient:
    """The real registry client, counting the calls made through it."""

    def __init__(self, client: SchemaRegistryClient) -> None:
        self._client = client
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str):
        method = getattr(self._client, name)

        def counted(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            return method(*args, **kwargs)

        return counted


def wire(schema_id: int, schema: dict, datum: dict) -> bytes:
    buffer = io.BytesIO()
    buffer.write(struct.pack(">bI", 0, schema_id))
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema), datum)
    return buffer.getvalue()


def test_every_event_type_round_trips_through_kafka(stack, serde, registry, unique):
    topic = f"events-{unique}"
    create_topic(stack.kafka, topic, partitions=3)
    events = factories.one_of_each_event()
    produce(
        stack.kafka,
        topic,
        ((e.user_id.encode(), serde.encode(topic, e), [("traceparent", e.metadata.traceparent().encode())]) for e in events),
    )
    messages = consume(stack.kafka, topic, len(events), group=f"g-{unique}")
    decoded = [serde.decode(m.value()) for m in messages]
    assert sorted(decoded, key=lambda e: str(e.metadata.event_id)) == sorted(events, key=lambda e: str(e.metadata.event_id))
    first = messages[0]
    record_name = serde.decode_datum(first.value()).record_name
    registered = registry.get_latest_version(subject_name(topic, record_name))
    assert first.value()[0] == 0
    assert struct.unpack(">I", first.value()[1:5])[0] == registered.schema_id


def test_registry_is_called_once_per_schema_not_per_message(registry, unique):
    topic = f"cache-{unique}"
    writer_client = CountingClient(registry)
    writer = AvroEventSerde(writer_client, auto_register=True)
    payloads = [writer.encode(topic, factories.email_update(email_id=f"m{i}")) for i in range(50)]
    assert writer_client.calls == {"register_schema": 1}
    reader_client = CountingClient(registry)
    reader = AvroEventSerde(reader_client)
    assert {reader.decode(p).email_id for p in payloads} == {f"m{i}" for i in range(50)}
    assert reader_client.calls == {"get_schema": 1}


def test_unknown_schema_id_is_a_typed_error(serde):
    with pytest.raises(UnknownSchemaId, match="schema id 2147483000 is unknown to the registry"):
        serde.decode(struct.pack(">bI", 0, 2_147_483_000) + b"\x02")


def test_bad_magic_byte_and_short_header_are_typed_errors(serde):
    with pytest.raises(BadMagicByte, match="first byte is 0x7b"):
        serde.decode(b'{"json": "not avro"}')
    with pytest.raises(TruncatedPayload, match="3 bytes is shorter than the 5-byte"):
        serde.decode(b"\x00\x00\x01")
    with pytest.raises(TruncatedPayload, match="0 bytes"):
        serde.decode(None)


def test_truncated_body_and_trailing_bytes_are_typed_errors(serde, unique):
    payload = serde.encode(f"t-{unique}", factories.email_update())
    with pytest.raises(TruncatedPayload, match="ends early"):
        serde.decode(payload[:-10])
    with pytest.raises(DeserializationError, match="3 bytes left over"):
        serde.decode(payload + b"xyz")


def test_writer_schema_that_cannot_be_read_as_ours_is_a_mismatch(serde, registry, unique):
    alien = {
        "type": "record",
        "name": "EmailUpdateEvent",
        "namespace": "io.officestream",
        "fields": [{"name": "email_id", "type": "long"}],
    }
    schema_id = registry.register_schema(f"alien-{unique}-value", Schema(json.dumps(alien), "AVRO"))
    with pytest.raises(SchemaMismatch, match=f"schema {schema_id} \\(io.officestream.EmailUpdateEvent\\) cannot be read as ours"):
        serde.decode(wire(schema_id, alien, {"email_id": 7}))


def test_schema_valid_but_invalid_event_is_refused_by_the_model(serde, unique):
    datum = factories.email_update(ChangeType.created).to_avro()
    datum["change_type"] = "deleted"  # a delete that still carries the email: fits Avro, breaks the model
    payload = serde.encode_datum(f"t-{unique}", "io.officestream.EmailUpdateEvent", datum)
    with pytest.raises(InvalidEvent, match="EmailUpdateEvent breaks its model.*a delete carries email_id only"):
        serde.decode(payload)


def test_a_record_that_is_not_an_officestream_event_decodes_as_data_only(serde, registry, unique):
    other = {"type": "record", "name": "Thing", "namespace": "com.example", "fields": [{"name": "n", "type": "int"}]}
    schema_id = registry.register_schema(f"thing-{unique}-value", Schema(json.dumps(other), "AVRO"))
    payload = wire(schema_id, other, {"n": 3})
    assert serde.decode_datum(payload).datum == {"n": 3}
    with pytest.raises(UnknownEventType, match="com.example.Thing, which is not an officestream event"):
        serde.decode(payload)


def test_unregistered_schema_is_refused_without_auto_registration(registry, unique):
    strict = AvroEventSerde(registry, auto_register=False)
    with pytest.raises(SchemaNotRegistered, match=f"email-updates-{unique}-io.officestream.EmailUpdateEvent.*officestream schemas register"):
        strict.encode(f"email-updates-{unique}", factories.email_update())


def test_unreachable_registry_is_a_retriable_error():
    settings = RegistrySettings.from_env({}, url="http://127.0.0.1:1", max_retries=0)
    dead = AvroEventSerde(SchemaRegistryClient(settings.client_config()), auto_register=True)
    with pytest.raises(RegistryUnavailable, match="schema registry unreachable") as raised:
        dead.decode(struct.pack(">bI", 0, 1) + b"\x00")
    assert raised.value.retriable
    with pytest.raises(RegistryUnavailable):
        dead.encode("any", factories.email_update())


def test_project_schema_is_what_gets_registered(serde, registry, unique):
    topic = f"t-{unique}"
    serde.encode(topic, factories.email_update())
    registered = registry.get_latest_version(subject_name(topic, "io.officestream.EmailUpdateEvent"))
    # The registry may rewrite the JSON (split full names, reorder keys): compare canonical forms.
    canonical = fastavro.schema.to_parsing_canonical_form
    assert canonical(json.loads(registered.schema.schema_str)) == canonical(project_schema("io.officestream.EmailUpdateEvent"))
