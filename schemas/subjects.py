"""Subject naming: TopicRecordNameStrategy, ``{topic}-{record full name}``.

Why this strategy: several event types share a topic (``calendar-updates`` carries
CalendarUpdateEvent and CalendarBatchEvent). TopicNameStrategy would force them into one union
schema per topic, so adding an event type would change the schema every consumer of the topic
reads with, and one type's evolution would be checked against another's. RecordNameStrategy
would share one subject across topics, tying the evolution of a record on one topic to every
other. With TopicRecordNameStrategy each (topic, event type) pair evolves on its own, under its
own compatibility level, and Confluent clients configured with the same strategy interoperate.
"""

from __future__ import annotations


def subject_name(topic: str, record_full_name: str) -> str:
    return f"{topic}-{record_full_name}"
