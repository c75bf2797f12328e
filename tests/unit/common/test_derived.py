"""Derived events: a payload encoded once by the caller ends up exactly as ``encode_derived``
would have written it, and every emission of the same cause gets the same id."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from processors.common.derived import (
    decode_derived,
    derived_event,
    derived_event_id,
    encode_derived,
    encode_derived_with_payload,
)

AT = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 2, 9, 0, 1, tzinfo=dt.UTC)


def spliced(payload_json: bytes, *, caused_by: str = "evt-1:m-1") -> bytes:
    return encode_derived_with_payload(
        kind="meeting.created", user_id="u-1", payload_json=payload_json, occurred_at=AT,
        source_service="meetings", caused_by=caused_by, now=NOW,
    )


async def test_spliced_payload_decodes_like_an_encoded_event():
    payload = {"event_id": "m-1", "title": "Standup – ü", "attendees": [{"email": "a@b.c"}], "n": None}
    event = await decode_derived(spliced(json.dumps(payload).encode()))
    plain = derived_event(kind="meeting.created", user_id="u-1", payload=payload, occurred_at=AT,
                          source_service="meetings", caused_by="evt-1:m-1", now=NOW)
    assert event.payload == payload
    assert event.model_dump(exclude={"event_id"}) == plain.model_dump(exclude={"event_id"})
    assert json.loads(encode_derived(event)) == json.loads(spliced(json.dumps(payload).encode()))


def test_ids_follow_the_cause_not_the_payload_or_the_time():
    """A re-emission rebuilds the payload from stored state at another time: same id. Another
    cause, user, kind or service: another id."""
    first = json.loads(spliced(b'{"a":1}'))["event_id"]
    again = encode_derived_with_payload(
        kind="meeting.created", user_id="u-1", payload_json=b'{"a":2}', occurred_at=AT,
        source_service="meetings", caused_by="evt-1:m-1", now=NOW + dt.timedelta(hours=1),
    )
    assert json.loads(again)["event_id"] == first
    assert first == derived_event_id("meetings", "u-1", "meeting.created", "evt-1:m-1")
    others = {
        json.loads(spliced(b'{"a":1}', caused_by="evt-2:m-1"))["event_id"],
        derived_event_id("meetings", "u-2", "meeting.created", "evt-1:m-1"),
        derived_event_id("meetings", "u-1", "meeting.updated", "evt-1:m-1"),
        derived_event_id("shipments", "u-1", "meeting.created", "evt-1:m-1"),
        derived_event_id("meetings", "u-1:x", "meeting.created", "evt-1:m-1"),
        derived_event_id("meetings", "u-1", "meeting.created:x", "evt-1:m-1"),
    }
    assert len(others) == 6 and first not in others


def test_an_event_without_a_cause_gets_a_random_id():
    make = lambda: derived_event(kind="meeting.synced", user_id="u-1", payload={}, occurred_at=AT,
                                 source_service="meetings", caused_by=None, now=NOW)
    assert make().event_id != make().event_id


@pytest.mark.parametrize("payload_json", [b"[1, 2]", b'"text"', b""])
def test_a_payload_that_is_not_one_object_is_refused(payload_json):
    with pytest.raises(ValueError, match="one JSON object"):
        spliced(payload_json)
