"""Derived events' metadata: every emission of the same cause gets the same id (the very ids of
the JSON envelopes these events replaced), and the rest continues the event that caused them."""

from __future__ import annotations

import datetime as dt
import uuid

from processors.common.derived import SOURCE_VERSION, derived_event_id, derived_metadata
from schemas.models import Provider
from tests import factories

AT = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 2, 9, 0, 1, tzinfo=dt.UTC)


def cause(**overrides):
    return factories.metadata("CalendarUpdateEvent", user_id="u-1", occurred_at=AT, **overrides)


def meeting_created(source, *, now=NOW, caused_by="evt-1:m-1"):
    return derived_metadata(event_type="MeetingUpdateEvent", kind="meeting.created", cause=source, caused_by=caused_by,
                            source_service="meetings", now=now)


def test_ids_are_those_the_json_envelopes_had():
    """Readers deduplicate across the switch to Avro: an event re-emitted by the new code after
    one the old code emitted carries the same id (pinned: uuid5 over service, user, kind, cause)."""
    assert derived_event_id("meetings", "u-1", "meeting.created", "evt-1:m-1") == uuid.UUID("7181e9f9-cde6-5e1d-92bf-45c7f07f468f")
    assert derived_event_id("shipments", "u-1", "shipment.delivered", "evt-1:m-1:1Z999AA10123456784") == uuid.UUID(
        "77591390-249c-5dda-8c1f-52fd90ada9c1"
    )


def test_ids_follow_the_cause_not_the_time_or_the_source_events_copy():
    """A re-emission happens at another time, possibly from a redelivered copy of the source
    event: same id (and span). Another cause, user, kind or service: another id."""
    first = meeting_created(cause())
    again = meeting_created(cause(), now=NOW + dt.timedelta(hours=1))
    assert (again.event_id, again.span_id) == (first.event_id, first.span_id) and again.produced_at != first.produced_at
    assert first.event_id == derived_event_id("meetings", "u-1", "meeting.created", "evt-1:m-1")
    others = {
        meeting_created(cause(), caused_by="evt-2:m-1").event_id,
        derived_event_id("meetings", "u-2", "meeting.created", "evt-1:m-1"),
        derived_event_id("meetings", "u-1", "meeting.updated", "evt-1:m-1"),
        derived_event_id("shipments", "u-1", "meeting.created", "evt-1:m-1"),
        derived_event_id("meetings", "u-1:x", "meeting.created", "evt-1:m-1"),
        derived_event_id("meetings", "u-1", "meeting.created:x", "evt-1:m-1"),
    }
    assert len(others) == 6 and first.event_id not in others


def test_metadata_continues_the_cause():
    source = cause(correlation_id="job-7", provider=Provider.google)
    derived = meeting_created(source)
    assert (derived.event_type, derived.user_id, derived.occurred_at, derived.produced_at) == ("MeetingUpdateEvent", "u-1", AT, NOW)
    assert (derived.trace_id, derived.correlation_id, derived.provider) == (source.trace_id, "job-7", Provider.google)
    assert derived.span_id != source.span_id and derived.span_id == derived.event_id.hex[16:]
    assert (derived.source_service, derived.source_version, derived.sequence) == ("meetings", SOURCE_VERSION, None)


def test_a_service_may_date_the_change_itself():
    later = AT + dt.timedelta(days=1)
    derived = derived_metadata(event_type="ShipmentUpdateEvent", kind="shipment.created", cause=cause(), caused_by="c",
                               source_service="shipments", now=NOW, occurred_at=later, user_id="u-1")
    assert derived.occurred_at == later
