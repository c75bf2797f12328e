"""Other teams read officestream's events with a plain Confluent client and the registry URL only."""

from __future__ import annotations

import json

from confluent_kafka.schema_registry import topic_record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from schemas.avsc import project_schema
from tests import factories


def test_plain_confluent_deserializer_reads_officestream_messages(stack, serde, registry, unique):
    topic = f"interop-{unique}"
    plain = AvroDeserializer(registry)  # no schema given: the writer's, from the registry
    for event in factories.one_of_each_event():
        datum = plain(serde.encode(topic, event), SerializationContext(topic, MessageField.VALUE))
        assert type(event).from_avro(datum) == event


def test_officestream_reads_messages_of_a_plain_confluent_serializer(serde, registry, unique):
    topic = f"interop-{unique}"
    for event in factories.one_of_each_event():
        plain = AvroSerializer(
            registry,
            json.dumps(project_schema(event.avro_name)),
            to_dict=lambda e, ctx: e.to_avro(),
            conf={"subject.name.strategy": topic_record_subject_name_strategy, "auto.register.schemas": True},
        )
        payload = plain(event, SerializationContext(topic, MessageField.VALUE))
        assert serde.decode(payload) == event
