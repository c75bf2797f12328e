"""Apply one calendar change to one user's meeting state: upsert, cancel, delete, idempotently.

Ordering rules (a redelivered or older version changes nothing): the one version order of
every service (``processors/common/versions.py``: the provider's ``updated_at``, then the
version marker — equal ones are the same version, numeric ones such as Google's etags are
ordered —, then the change's ``occurred_at``); on a full tie, a change whose content differs is
applied (the partition's order is the only order left, and it is the same on every replay),
and identical content is a duplicate.
A delete has no provider time, so it is ordered by ``occurred_at`` alone and wins ties. It leaves
a ``MeetingTombstone`` that an update must beat on every clock it has to bring the meeting back;
a later delete of a tombstone moves its time on without a second announcement.
Series need nothing special here: masters, occurrences and exceptions are stored under their own
ids, and ``instances.py`` combines them when time is expanded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from processors.common.versions import Version, compare_updates
from processors.meetings.context import MeetingContext, MeetingRecord, MeetingTombstone
from processors.meetings.exceptions import InvalidCalendarChange
from processors.meetings.recurrence import check_recurrence
from schemas.models import CalendarEvent, ChangeType, EventTime

MeetingState = MeetingContext | MeetingTombstone


class MeetingChangeKind(StrEnum):
    created = "created"
    updated = "updated"
    cancelled = "cancelled"
    deleted = "deleted"


@dataclass(frozen=True, slots=True)
class MeetingChange:
    """The new state to store under ``key`` (and emit on ``meeting-updates``), and what it
    replaced. A plain value made only here from validated records (a pydantic model would
    validate them again: ~4 µs per calendar event)."""

    kind: MeetingChangeKind
    record: MeetingRecord
    previous: MeetingRecord | None = None
    #: False for a tombstone moved on by a later delete: stored, but nothing new to announce.
    announce: bool = True

    @property
    def key(self) -> str:
        return self.record.key


def apply_calendar_change(
    existing: MeetingState | None,
    user_id: str,
    change_type: ChangeType,
    calendar_event: CalendarEvent | None,
    event_id: str,
    occurred_at: dt.datetime,
    sequence: int | None = None,
) -> MeetingChange | None:
    """The change one calendar event makes to the stored state, or None when it changes nothing.

    ``existing`` is what the table holds under ``meeting_key(user_id, event_id)``. Items of a
    ``CalendarBatchEvent`` go through here one by one as ``ChangeType.updated`` with the batch's
    ``metadata.occurred_at``; ``sequence`` is the event's ``metadata.sequence``. Raises ``InvalidCalendarChange`` / ``InvalidRecurrence`` (fatal:
    dead-letter the message) when the change can never be applied.
    """
    _check_change(existing, user_id, change_type, calendar_event, event_id, occurred_at)
    if change_type is ChangeType.deleted:
        return _apply_delete(existing, user_id=user_id, event_id=event_id, occurred_at=occurred_at, sequence=sequence)
    assert calendar_event is not None  # _check_change refused an upsert without one
    incoming = MeetingContext.from_calendar_event(user_id=user_id, event=calendar_event, occurred_at=occurred_at,
                                                  sequence=sequence)
    if incoming.is_series_master:
        check_recurrence(incoming)
    return _apply_upsert(existing, incoming)


def _check_change(
    existing: MeetingState | None,
    user_id: str,
    change_type: ChangeType,
    calendar_event: CalendarEvent | None,
    event_id: str,
    occurred_at: dt.datetime,
) -> None:
    if not user_id or not event_id:
        raise InvalidCalendarChange("a calendar change needs a user id and an event id", event_id=event_id or None)
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise InvalidCalendarChange("occurred_at must be timezone-aware", event_id=event_id)
    if change_type is ChangeType.deleted:
        if calendar_event is not None:
            raise InvalidCalendarChange("a delete carries the event id only", event_id=event_id)
    elif calendar_event is None:
        raise InvalidCalendarChange(f"a {change_type.value} change needs the calendar event", event_id=event_id)
    elif calendar_event.id != event_id:
        raise InvalidCalendarChange(f"event id {event_id!r} but the event is {calendar_event.id!r}", event_id=event_id)
    if existing is not None and (existing.user_id, existing.event_id) != (user_id, event_id):
        raise InvalidCalendarChange(f"the stored state is for {existing.key!r}, not this change", event_id=event_id)


def _apply_upsert(existing: MeetingState | None, incoming: MeetingContext) -> MeetingChange | None:
    if isinstance(existing, MeetingTombstone):
        if _tombstone_holds(existing, incoming):
            return None
        return MeetingChange(kind=_upsert_kind(incoming, live_before=False), record=incoming, previous=existing)
    if existing is None:
        return MeetingChange(kind=_upsert_kind(incoming, live_before=False), record=incoming)
    if _is_duplicate_or_older(incoming, existing):
        return None
    return MeetingChange(kind=_upsert_kind(incoming, live_before=True), record=incoming, previous=existing)


def _upsert_kind(incoming: MeetingContext, *, live_before: bool) -> MeetingChangeKind:
    if incoming.is_cancelled:
        return MeetingChangeKind.cancelled
    return MeetingChangeKind.updated if live_before else MeetingChangeKind.created


def _is_duplicate_or_older(incoming: MeetingContext, existing: MeetingContext) -> bool:
    """The one version order of every service (``processors/common/versions.py``); a newer
    version with the very same content changes nothing either."""
    order = compare_updates(_version(incoming), _version(existing))
    if order is not None and order <= 0:
        return True  # the same provider version, or an older one
    return incoming.same_content(existing)


def _version(context: MeetingContext) -> Version:
    updated = context.provider_updated_at
    return Version(event_id="", occurred_at_ms=_millis(context.occurred_at),
                   changed_at_ms=_millis(updated) if updated is not None else None, marker=context.version_marker,
                   sequence=context.sequence)


def _millis(at: dt.datetime) -> int:
    return int(at.timestamp() * 1000)


def _tombstone_holds(tombstone: MeetingTombstone, incoming: MeetingContext) -> bool:
    """True unless the update is newer than the delete on every clock both sides have."""
    if incoming.version_marker is not None and incoming.version_marker == tombstone.last_version_marker:
        return True
    updated, last_updated = incoming.provider_updated_at, tombstone.last_provider_updated_at
    if updated is not None and last_updated is not None and updated <= last_updated:
        return True
    return _not_after(incoming.sequence, incoming.occurred_at, tombstone.sequence, tombstone.deleted_at)


def _not_after(sequence: int | None, at: dt.datetime, other_sequence: int | None, other_at: dt.datetime) -> bool:
    """Whether a change (``sequence``, ``at``) comes no later than another: by the publisher's
    sequence when both have one (a backfill page's time is when it was crawled, a live update's
    the provider's change time: those two clocks do not order each other), else by time."""
    if sequence is not None and other_sequence is not None and sequence != other_sequence:
        return sequence < other_sequence
    return at <= other_at


def _apply_delete(
    existing: MeetingState | None, *, user_id: str, event_id: str, occurred_at: dt.datetime, sequence: int | None
) -> MeetingChange | None:
    if isinstance(existing, MeetingTombstone):
        if _not_after(sequence, occurred_at, existing.sequence, existing.deleted_at):
            return None
        # Deleted again: the same deletion found by a later sync (republished after the bridge
        # was killed before storing its cursor), or a resurrection whose update has not arrived.
        # The meeting was announced deleted already; remembering the later time keeps a late
        # update of that resurrection from undoing this delete.
        advanced = MeetingTombstone.model_validate({**existing.model_dump(), "deleted_at": occurred_at, "sequence": sequence})
        return MeetingChange(kind=MeetingChangeKind.deleted, record=advanced, previous=existing, announce=False)
    if existing is not None and not _not_after(existing.sequence, existing.occurred_at, sequence, occurred_at):
        return None
    tombstone = MeetingTombstone(
        user_id=user_id,
        event_id=event_id,
        deleted_at=occurred_at,
        series_master_id=existing.series_master_id if existing else None,
        original_start=_original_start(existing),
        last_version_marker=existing.version_marker if existing else None,
        last_provider_updated_at=existing.provider_updated_at if existing else None,
        sequence=sequence,
    )
    return MeetingChange(kind=MeetingChangeKind.deleted, record=tombstone, previous=existing)


def _original_start(existing: MeetingContext | None) -> EventTime | None:
    """The slot a deleted occurrence held in its series (an occurrence sits at its own start)."""
    if existing is None or not existing.is_series_instance:
        return None
    return existing.original_start or existing.start
