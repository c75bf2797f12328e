"""The attendee index, rebuilt from the meeting contexts (what `officestream meetings attendees` reads)."""

from __future__ import annotations

import datetime as dt

from processors.meetings import attendee_index
from schemas.models import Address, Attendee, EventStatus, ResponseStatus
from tests.unit.meetings.samples import BERLIN, T0, delete, local, meeting, stored

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
