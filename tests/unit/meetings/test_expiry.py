"""Meeting tombstones are dropped once older than the retention, while a message of their user is
handled; fresh ones, live meetings and other users' keys stay."""

from __future__ import annotations

import datetime as dt

from processors.common.items import ItemChange
from processors.meetings.context import MeetingTombstone, dump_meeting_record, load_meeting_record
from processors.meetings.expiry import TombstoneIndex, drop_expired_tombstones
from processors.meetings.handling import handle_calendar_message
from schemas.models import CalendarUpdateEvent, ChangeType, DocType
from tests import factories
from tests.unit.meetings.samples import BERLIN, T0, USER, local, meeting

DAY = dt.timedelta(days=1)
RETENTION = 30 * DAY


def tombstone(user: str, event_id: str, deleted_at: dt.datetime) -> bytes:
    return dump_meeting_record(MeetingTombstone(user_id=user, event_id=event_id, deleted_at=deleted_at))


def update(event, change: str) -> list[ItemChange]:
    record = getattr(event, "calendar_event", None)
    return [ItemChange(user_id=event.metadata.user_id, doc_type=DocType.calendar_event, doc_id=event.calendar_event_id,
                       change=change, record=record, occurred_at_ms=int(event.metadata.occurred_at.timestamp() * 1000),
                       event_id=str(event.metadata.event_id), version_marker=getattr(record, "version_marker", None))]


async def nothing(event: object) -> None:
    pass


def test_only_the_users_expired_tombstones_are_dropped():
    table = {
        f"{USER}:old": tombstone(USER, "old", T0),
        f"{USER}:fresh": tombstone(USER, "fresh", T0 + 20 * DAY),
        "user-2:old": tombstone("user-2", "old", T0),
    }
    index = TombstoneIndex()
    dropped = drop_expired_tombstones(table, index, USER, now=T0 + RETENTION, retention=RETENTION)
    assert dropped == 1 and sorted(table) == [f"{USER}:fresh", "user-2:old"]
    assert drop_expired_tombstones(table, index, USER, now=T0 + RETENTION, retention=RETENTION) == 0
    assert drop_expired_tombstones(table, index, "user-2", now=T0 + RETENTION, retention=RETENTION) == 1
    assert drop_expired_tombstones(table, index, USER, now=T0 + 50 * DAY, retention=RETENTION) == 1
    assert table == {}


def test_a_key_that_holds_a_meeting_again_is_not_dropped():
    table = {f"{USER}:back": tombstone(USER, "back", T0)}
    index = TombstoneIndex()
    index.ensure_loaded(table.items())
    table[f"{USER}:back"] = b'{"record_type":"meeting"}'  # written behind the index's back
    assert drop_expired_tombstones(table, index, USER, now=T0 + RETENTION, retention=RETENTION) == 0
    assert f"{USER}:back" in table


async def test_a_deleted_meeting_is_forgotten_after_the_retention_on_the_users_next_message():
    standup = meeting("standup", local(BERLIN, 2026, 11, 30, 9), title="Standup", version_marker="ck-1")
    created = CalendarUpdateEvent(metadata=factories.metadata("CalendarUpdateEvent", user_id=USER, occurred_at=T0),
                                  change_type=ChangeType.created, calendar_event_id="standup", calendar_event=standup)
    deleted = CalendarUpdateEvent(metadata=factories.metadata("CalendarUpdateEvent", user_id=USER, occurred_at=T0 + DAY),
                                  change_type=ChangeType.deleted, calendar_event_id="standup")
    other = meeting("review", local(BERLIN, 2026, 12, 3, 14), title="Review", version_marker="ck-9")
    later = CalendarUpdateEvent(metadata=factories.metadata("CalendarUpdateEvent", user_id=USER, occurred_at=T0 + 40 * DAY),
                                change_type=ChangeType.created, calendar_event_id="review", calendar_event=other)
    table: dict[str, bytes] = {}
    index = TombstoneIndex()

    async def handle(event, change: str, now: dt.datetime) -> None:
        await handle_calendar_message(event, update(event, change), table=table, send=nothing, now=lambda: now,
                                      tombstones=index, tombstone_retention=RETENTION)

    await handle(created, "upsert", T0)
    await handle(deleted, "delete", T0 + DAY)
    assert isinstance(load_meeting_record(table[f"{USER}:standup"]), MeetingTombstone)
    await handle(later, "upsert", T0 + 10 * DAY)  # within the retention: the tombstone stays
    assert f"{USER}:standup" in table
    await handle(later, "upsert", T0 + DAY + RETENTION)  # a redelivery, but the user's message all the same
    assert sorted(table) == [f"{USER}:review"]


async def test_without_a_retention_tombstones_are_kept():
    deleted = CalendarUpdateEvent(metadata=factories.metadata("CalendarUpdateEvent", user_id=USER, occurred_at=T0),
                                  change_type=ChangeType.deleted, calendar_event_id="gone")
    table: dict[str, bytes] = {}
    await handle_calendar_message(deleted, update(deleted, "delete"), table=table, send=nothing,
                                  now=lambda: T0 + 400 * DAY, tombstones=TombstoneIndex(), tombstone_retention=None)
    assert f"{USER}:gone" in table


async def test_a_backfilled_delete_is_kept_for_the_retention_from_when_it_was_stored():
    """A resync can deliver a delete the provider made a year ago: its tombstone must still
    outlive the late updates the same backfill may deliver after it."""
    year_ago = T0 - 365 * DAY
    deleted = CalendarUpdateEvent(metadata=factories.metadata("CalendarUpdateEvent", user_id=USER, occurred_at=year_ago),
                                  change_type=ChangeType.deleted, calendar_event_id="old")
    table: dict[str, bytes] = {}
    index = TombstoneIndex()

    async def handle(now: dt.datetime) -> None:
        await handle_calendar_message(deleted, update(deleted, "delete"), table=table, send=nothing, now=lambda: now,
                                      tombstones=index, tombstone_retention=RETENTION)

    await handle(T0)
    stored = load_meeting_record(table[f"{USER}:old"])
    assert isinstance(stored, MeetingTombstone) and (stored.deleted_at, stored.stored_at) == (year_ago, T0)
    await handle(T0 + 10 * DAY)
    assert f"{USER}:old" in table
    await handle(T0 + RETENTION)
    assert table == {}
    # After a restart the index is read from the table, with the same ages.
    table[f"{USER}:old"] = dump_meeting_record(stored)
    assert drop_expired_tombstones(table, TombstoneIndex(), USER, now=T0 + 10 * DAY, retention=RETENTION) == 0
    assert drop_expired_tombstones(table, TombstoneIndex(), USER, now=T0 + RETENTION, retention=RETENTION) == 1


async def test_an_unreadable_record_in_the_table_costs_neither_the_sweep_nor_the_message():
    table = {f"{USER}:junk": b'{"record_type":"tombstone","nonsense":1}', f"{USER}:old": tombstone(USER, "old", T0)}
    index = TombstoneIndex()
    assert drop_expired_tombstones(table, index, USER, now=T0 + RETENTION, retention=RETENTION) == 1
    assert sorted(table) == [f"{USER}:junk"]


async def test_a_failing_sweep_is_logged_and_the_message_still_succeeds(caplog):
    class Exploding(dict):
        def items(self):
            raise RuntimeError("store unreadable")

    standup = meeting("standup", local(BERLIN, 2026, 11, 30, 9), title="Standup", version_marker="ck-1")
    created = CalendarUpdateEvent(metadata=factories.metadata("CalendarUpdateEvent", user_id=USER, occurred_at=T0),
                                  change_type=ChangeType.created, calendar_event_id="standup", calendar_event=standup)
    table = Exploding()
    await handle_calendar_message(created, update(created, "upsert"), table=table, send=nothing, now=lambda: T0,
                                  tombstones=TombstoneIndex(), tombstone_retention=RETENTION)
    assert f"{USER}:standup" in table
    assert "expired tombstones not dropped this time: RuntimeError: store unreadable" in caplog.text
