"""Where the meetings service keeps its state, and reading it back outside the worker.

Table (faust, changelog compacted): ``meetings`` maps ``{user_id}:{event_id}`` to the meeting
record (context or tombstone, JSON). What is derived from the records (upcoming meetings, busy
intervals, the attendee index) is computed from them when read.
"""

from __future__ import annotations

import json

from connectors.kafka.compacted import read_compacted
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import MEETINGS
from processors.meetings.attendees import attendee_index
from processors.meetings.context import MeetingRecord, load_meeting_record

MEETINGS_TABLE = "meetings"


def changelog_topic(kafka: KafkaSettings, table: str) -> str:
    """faust's name for a table's changelog: ``{app id}-{table}-changelog``."""
    return f"{kafka.group(MEETINGS)}-{table}-changelog"


def user_meetings(kafka: KafkaSettings, user_id: str) -> list[MeetingRecord]:
    """Every meeting record of ``user_id``, read from the compacted changelog."""
    state = read_compacted(kafka, changelog_topic(kafka, MEETINGS_TABLE))
    # faust writes table keys to the changelog JSON-encoded: b'"user-1:evt-1"'.
    return [load_meeting_record(value) for key, value in state.items() if json.loads(key).startswith(f"{user_id}:")]


def user_attendees(kafka: KafkaSettings, user_id: str) -> dict[str, list[str]]:
    """Who ``user_id`` meets: each participant's address to the ids of their live meetings."""
    return attendee_index(user_meetings(kafka, user_id))
