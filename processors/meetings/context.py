"""What the meetings service keeps per user and meeting: a ``MeetingContext`` or a tombstone.

Both live in one faust table keyed ``{user_id}:{event_id}``, as JSON, and are announced on
``meeting-updates`` as their Avro twins (``schemas.models.MeetingContext``, ``MeetingTombstone``;
a test keeps the fields aligned). A delete leaves a ``MeetingTombstone`` instead of removing the
key, because a late, older update must still find out that the meeting is gone (``changes.py``
compares against it).
Tombstones can be dropped once no late update can plausibly arrive (``is_expired_tombstone``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from schemas.models import Address, Attendee, CalendarEvent, EventKind, EventStatus, EventTime, Provider
from schemas.models.common import NonEmpty, Timestamp


def meeting_key(user_id: str, event_id: str) -> str:
    """The table and topic key of one user's meeting."""
    return f"{user_id}:{event_id}"


class AppliedChange(BaseModel):
    """The change that stored a record: the ``calendar-updates`` event and what it was announced
    as on ``meeting-updates``. A replay of that event finds its effect already stored and
    announces it again from this (``handling.py``): the derived event and the state write are
    separate records, and a crash between them must not lose the announcement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: NonEmpty
    #: ``created``, ``updated``, ``cancelled`` or ``deleted`` (``changes.MeetingChangeKind``).
    kind: NonEmpty


class MeetingContext(BaseModel):
    """One user's view of one calendar event: what the product shows and what busy time needs.

    The body is left out on purpose: nothing here needs it and it is the bulky, private part.
    ``occurred_at`` is when the change that produced this state happened (the event metadata's
    ``occurred_at``); with ``provider_updated_at`` and ``version_marker`` it orders changes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_type: Literal["meeting"] = "meeting"
    user_id: NonEmpty
    event_id: NonEmpty
    provider: Provider = Provider.unknown
    ical_uid: str | None = None
    calendar_id: str | None = None
    title: str | None = None
    location: str | None = None
    start: EventTime
    end: EventTime
    is_all_day: bool = False
    kind: EventKind = EventKind.unknown
    recurrence: tuple[str, ...] = ()
    series_master_id: str | None = None
    original_start: EventTime | None = None
    status: EventStatus = EventStatus.unknown
    is_cancelled: bool = False
    organizer: Address | None = None
    attendees: tuple[Attendee, ...] = ()
    online_meeting_url: str | None = None
    version_marker: str | None = None
    provider_updated_at: Timestamp | None = None
    occurred_at: Timestamp
    #: ``metadata.sequence`` of the event that carried this version: the publisher's order, which
    #: tells two versions apart when the provider's time and marker cannot (``versions.py``).
    sequence: int | None = None
    #: Which ``calendar-updates`` event stored this record, and the change it was announced as.
    applied: AppliedChange | None = None

    @model_validator(mode="after")
    def _cancelled_matches_status(self) -> Self:
        if self.is_cancelled != (self.status is EventStatus.cancelled):
            raise ValueError("is_cancelled must be true exactly when status is cancelled")
        return self

    @classmethod
    def from_calendar_event(
        cls, *, user_id: str, event: CalendarEvent, occurred_at: dt.datetime, sequence: int | None = None
    ) -> Self:
        """The context a calendar event gives, as of the change that carried it."""
        return cls(
            user_id=user_id,
            event_id=event.id,
            provider=event.provider,
            ical_uid=event.ical_uid,
            calendar_id=event.calendar_id,
            title=event.title,
            location=event.location,
            start=event.start,
            end=event.end,
            is_all_day=event.is_all_day,
            kind=event.kind,
            recurrence=tuple(event.recurrence),
            series_master_id=event.series_master_id,
            original_start=event.original_start,
            status=event.status,
            is_cancelled=event.status is EventStatus.cancelled,
            organizer=event.organizer,
            attendees=tuple(event.attendees),
            online_meeting_url=event.online_meeting_url,
            version_marker=event.version_marker,
            provider_updated_at=event.updated_at,
            occurred_at=occurred_at,
            sequence=sequence,
        )

    @property
    def key(self) -> str:
        return meeting_key(self.user_id, self.event_id)

    @property
    def time_zone(self) -> str | None:
        """The zone the organizer scheduled in (it decides where a series' wall clock stays)."""
        return self.start.time_zone

    @property
    def is_series_master(self) -> bool:
        """A master carries the rule; occurrences and exceptions never do, whatever they repeat."""
        if self.kind in (EventKind.occurrence, EventKind.exception):
            return False
        return self.kind is EventKind.series_master or bool(self.recurrence)

    @property
    def is_series_instance(self) -> bool:
        """An occurrence or exception that stands in for one slot of its master's rule."""
        return self.series_master_id is not None and not self.is_series_master

    def same_content(self, other: MeetingContext) -> bool:
        """Equal apart from when and by which event the change was observed: a redelivery, not a change."""
        return self.model_copy(update={"occurred_at": other.occurred_at, "applied": other.applied,
                                       "sequence": other.sequence}) == other


class MeetingTombstone(BaseModel):
    """A deleted meeting, remembered so late, older updates cannot bring it back.

    It keeps the series link and original start of what it deleted (when they were known),
    so a deleted occurrence still removes its slot from the master's expansion.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_type: Literal["tombstone"] = "tombstone"
    user_id: NonEmpty
    event_id: NonEmpty
    deleted_at: Timestamp
    series_master_id: str | None = None
    original_start: EventTime | None = None
    last_version_marker: str | None = None
    last_provider_updated_at: Timestamp | None = None
    #: ``metadata.sequence`` of the delete (``MeetingContext.sequence``).
    sequence: int | None = None
    #: When the service stored the tombstone (its clock): how old it is, for expiry.
    #: ``deleted_at`` is the change's own time, which a backfill can date far back.
    stored_at: Timestamp | None = None
    #: Which ``calendar-updates`` event stored this tombstone (``AppliedChange``).
    applied: AppliedChange | None = None

    @property
    def key(self) -> str:
        return meeting_key(self.user_id, self.event_id)

    @property
    def kept_since(self) -> dt.datetime:
        """Since when the tombstone has been kept (``deleted_at`` for ones stored without ``stored_at``)."""
        return self.stored_at or self.deleted_at


#: What the table holds under one key.
MeetingRecord = Annotated[MeetingContext | MeetingTombstone, Field(discriminator="record_type")]

_RECORD_ADAPTER: TypeAdapter[MeetingContext | MeetingTombstone] = TypeAdapter(MeetingRecord)


def dump_meeting_record(record: MeetingContext | MeetingTombstone) -> bytes:
    """UTF-8 JSON for a faust table value."""
    return record.model_dump_json().encode()


def load_meeting_record(raw: bytes | str | Mapping[str, Any]) -> MeetingContext | MeetingTombstone:
    """The record ``dump_meeting_record`` wrote (or its parsed JSON)."""
    if isinstance(raw, Mapping):
        return _RECORD_ADAPTER.validate_python(raw)
    return _RECORD_ADAPTER.validate_json(raw)


def is_expired_tombstone(
    record: MeetingContext | MeetingTombstone | None, *, now: dt.datetime, retention: dt.timedelta
) -> bool:
    """True for a tombstone old enough that no late update can still be in flight.

    ``retention`` should outlast the source topic's retention plus the longest consumer lag:
    after that an older update for the key can no longer be read, so the key can go.
    """
    return isinstance(record, MeetingTombstone) and now - record.kept_since >= retention
