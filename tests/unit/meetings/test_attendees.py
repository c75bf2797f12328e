"""The attendee index: rebuilt from contexts, or kept up to date change by change."""

from __future__ import annotations

import datetime as dt

from processors.meetings import MeetingContext, attendee_index, attendee_index_change, attendee_key
from schemas.models import Address, Attendee, EventStatus, ResponseStatus
from tests.unit.meetings.samples import BERLIN, T0, USER, delete, local, meeting, stored, upsert

START = local(BERLIN, 2026, 11, 10, 10)


def _guest(email: str, response: ResponseStatus = ResponseStatus.accepted) -> Attendee:
    return Attendee(address=Address(email=email), response=response)


def test_index_maps_each_lower_cased_participant_to_their_meetings():
    contexts = stored(
        meeting("a", START, organizer=Address(email="Ada@Example.com"), attendees=[_guest("bob@example.com")]),
        meeting("b", START, organizer=Address(email="ada@example.com"), attendees=[_guest("Room-4.12@example.com")]),
    )
    assert attendee_index(contexts) == {
        "ada@example.com": ["a", "b"],
        "bob@example.com": ["a"],
        "room-4.12@example.com": ["b"],
    }


def test_declined_attendees_and_cancelled_or_deleted_meetings_are_not_indexed():
    declined, cancelled, doomed = stored(
        meeting("a", START, attendees=[_guest("bob@example.com", ResponseStatus.declined)]),
        meeting("b", START, attendees=[_guest("carol@example.com")], status=EventStatus.cancelled),
        meeting("c", START, attendees=[_guest("dave@example.com")]),
    )
    gone = delete(doomed, "c", T0 + dt.timedelta(minutes=1))
    assert gone is not None
    index = attendee_index([declined, cancelled, gone.record])
    assert set(index) == {"ada@example.com"} and index["ada@example.com"] == ["a"]


def test_change_names_only_the_addresses_it_adds_and_removes():
    before = upsert(None, meeting("a", START, attendees=[_guest("bob@example.com"), _guest("carol@example.com")]), T0)
    assert before is not None
    after = upsert(
        before.record,
        meeting("a", START, attendees=[_guest("carol@example.com"), _guest("dave@example.com")]),
        T0 + dt.timedelta(minutes=1),
    )
    assert after is not None
    index_change = attendee_index_change(after)
    assert (index_change.added, index_change.removed) == ({"dave@example.com"}, {"bob@example.com"})
    assert index_change.keys() == [attendee_key(USER, "bob@example.com"), attendee_key(USER, "dave@example.com")]


def test_applying_changes_one_by_one_matches_rebuilding_the_index():
    timeline = [
        meeting("a", START, attendees=[_guest("bob@example.com")]),
        meeting("b", START, attendees=[_guest("bob@example.com"), _guest("carol@example.com")]),
        meeting("a", START, attendees=[_guest("bob@example.com", ResponseStatus.declined), _guest("dave@example.com")]),
        meeting("b", START, status=EventStatus.cancelled),
        None,  # delete "a"
    ]
    table: dict[str, MeetingContext] = {}
    entries: dict[str, list[str]] = {}
    for n, event in enumerate(timeline):
        occurred = T0 + dt.timedelta(minutes=n)
        change = (
            delete(table.get("a"), "a", occurred) if event is None else upsert(table.get(event.id), event, occurred)
        )
        assert change is not None
        table[change.record.event_id] = change.record  # type: ignore[assignment]
        index_change = attendee_index_change(change)
        for email in index_change.added | index_change.removed:
            entries[email] = index_change.updated_ids(email, entries.get(email, []))
    assert {email: ids for email, ids in entries.items() if ids} == attendee_index(table.values())
