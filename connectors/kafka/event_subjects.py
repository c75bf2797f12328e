"""Which schema goes under which registry subject: the topic catalogue meets the ``.avsc`` files."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import TOPICS, TopicSpec
from schemas.exceptions import SchemaFileError
from schemas.registry_admin import SubjectSchema
from schemas.subjects import subject_name


@dataclass(frozen=True)
class SubjectPlan:
    subjects: list[SubjectSchema]
    #: Event schemas no topic carries yet (a new event type needs a catalogue entry).
    unrouted: list[str]


def event_subjects(
    settings: KafkaSettings, schemas: Mapping[str, dict[str, Any]], *, specs: Iterable[TopicSpec] = TOPICS
) -> SubjectPlan:
    """One subject per (topic, event type) of the catalogue, with the schema from ``schemas``."""
    subjects, routed = [], set()
    for spec in specs:
        topic = settings.topic(spec.name)
        for record_name in spec.event_types:
            if record_name not in schemas:
                raise SchemaFileError(f"no schema for {record_name}, which topic {spec.name} carries")
            subjects.append(SubjectSchema(subject_name(topic, record_name), record_name, schemas[record_name]))
            routed.add(record_name)
    return SubjectPlan(subjects, sorted(set(schemas) - routed))
