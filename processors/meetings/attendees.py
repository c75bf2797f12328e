"""Who a user meets: an index from a participant's address to the user's meetings with them.

Kept incrementally: each ``MeetingChange`` says which addresses gain or lose the meeting, so the
wiring touches only those entries of a table keyed ``attendee_key(user_id, email)``, instead of
rebuilding a user's index on every change. ``attendee_index`` rebuilds it from the contexts
(for a repair, or to check the incremental one).

Participants are the organizer and every attendee who has not declined (rooms included, so "the
meetings in room 4.12" works); cancelled and deleted meetings have none. Addresses are
lower-cased. A series master and its exceptions are indexed under their own ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from processors.meetings.changes import MeetingChange
from processors.meetings.context import MeetingContext, MeetingTombstone
from schemas.models import ResponseStatus


def attendee_key(user_id: str, email: str) -> str:
    """The table key of one participant in one user's index."""
    return f"{user_id}:{email.lower()}"


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


@dataclass(frozen=True, kw_only=True)
class AttendeeIndexChange:
    """The index entries one meeting change touches."""

    user_id: str
    event_id: str
    added: frozenset[str]
    removed: frozenset[str]

    def keys(self) -> list[str]:
        """The table keys to update, in a stable order."""
        return [attendee_key(self.user_id, email) for email in sorted(self.added | self.removed)]

    def updated_ids(self, email: str, meeting_ids: Sequence[str]) -> list[str]:
        """One entry's meeting ids after this change (sorted; unchanged if ``email`` is untouched)."""
        ids = set(meeting_ids)
        if email.lower() in self.added:
            ids.add(self.event_id)
        elif email.lower() in self.removed:
            ids.discard(self.event_id)
        return sorted(ids)


def attendee_index_change(change: MeetingChange) -> AttendeeIndexChange:
    """What ``change`` does to the user's attendee index."""
    before, after = participants(change.previous), participants(change.record)
    return AttendeeIndexChange(
        user_id=change.record.user_id, event_id=change.record.event_id, added=after - before, removed=before - after
    )
