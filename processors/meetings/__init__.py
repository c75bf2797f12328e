"""The meetings service's logic: meeting state per user from calendar changes, busy time, who meets whom.

Pure (no Kafka, no clock): ``app.py`` decodes ``calendar-updates``, calls these and stores / emits
what they return.
"""

from processors.meetings.attendees import (
    attendee_index,
    participants,
)
from processors.meetings.busy import Interval, busy_intervals
from processors.meetings.changes import MeetingChange, MeetingChangeKind, apply_calendar_change
from processors.meetings.context import (
    MeetingContext,
    MeetingRecord,
    MeetingTombstone,
    dump_meeting_record,
    is_expired_tombstone,
    load_meeting_record,
    meeting_key,
)
from processors.meetings.exceptions import InvalidCalendarChange, InvalidRecurrence, MeetingsError, UnknownTimeZone
from processors.meetings.instances import Attendance, MeetingInstance, expand_instances, user_response
from processors.meetings.upcoming import upcoming

__all__ = [
    "Attendance",
    "Interval",
    "InvalidCalendarChange",
    "InvalidRecurrence",
    "MeetingChange",
    "MeetingChangeKind",
    "MeetingContext",
    "MeetingInstance",
    "MeetingRecord",
    "MeetingTombstone",
    "MeetingsError",
    "UnknownTimeZone",
    "apply_calendar_change",
    "attendee_index",
    "busy_intervals",
    "dump_meeting_record",
    "expand_instances",
    "is_expired_tombstone",
    "load_meeting_record",
    "meeting_key",
    "participants",
    "upcoming",
    "user_response",
]
