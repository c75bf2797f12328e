"""Who a user meets: an index from a participant's address to the user's meetings with them.

Computed from the user's meeting records when read (``officestream meetings attendees``): it is
a function of the contexts the meetings table already holds, so it needs no state of its own.

Participants are the organizer and every attendee who has not declined (rooms included, so "the
meetings in room 4.12" works); cancelled and deleted meetings have none. Addresses are
lower-cased. A series master and its exceptions are indexed under their own ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from processors.meetings.context import MeetingContext, MeetingTombstone
from schemas.models import ResponseStatus


def participants(record: MeetingContext | MeetingTombstone | None) -> frozenset[str]:
    """The lower-cased addresses a meeting is indexed under (none when it is not live)."""
    if not isinstance(record, MeetingContext) or record.is_cancelled:
        return frozenset()
    emails = {a.address.email.lower() for a in record.attendees if a.response is not ResponseStatus.declined}
    if record.organizer is not None:
        emails.add(record.organizer.email.lower())
    return frozenset(emails)


def attendee_index(contexts: Iterable[MeetingContext | MeetingTombstone]) -> dict[str, list[str]]:
    """Address -> sorted meeting ids, for one user's contexts."""
    index: defaultdict[str, set[str]] = defaultdict(set)
    for record in contexts:
        for email in participants(record):
            index[email].add(record.event_id)
    return {email: sorted(ids) for email, ids in sorted(index.items())}
