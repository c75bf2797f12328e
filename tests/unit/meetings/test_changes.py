"""apply_calendar_change: upserts, cancellations, deletes, and what must change nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from processors.meetings import (
    InvalidCalendarChange,
    InvalidRecurrence,
    MeetingChangeKind,
    MeetingContext,
    MeetingTombstone,
    apply_calendar_change,
    dump_meeting_record,
    is_expired_tombstone,
    load_meeting_record,
)
from schemas.models import ChangeType, EventStatus
from tests.unit.meetings.samples import BERLIN, T0, USER, delete, local, meeting, series, upsert

START = local(BERLIN, 2026, 11, 10, 10)
MINUTE = dt.timedelta(minutes=1)


def _v(n: int, **overrides):
    """Version n of one meeting: the provider edited it at T0 + n minutes."""
    fields = {"title": f"Planning v{n}", "updated_at": T0 + n * MINUTE, "version_marker": f"ck-{n}"}
    fields.update(overrides)
    return meeting("evt-1", START, **fields)


def _stored(n: int, occurred_at: dt.datetime) -> MeetingContext:
    change = upsert(None, _v(n), occurred_at)
    assert change is not None and isinstance(change.record, MeetingContext)
    return change.record


def test_first_update_creates_the_meeting_context_from_the_event():
    event = _v(1)
    change = upsert(None, event, T0 + MINUTE)
    assert change is not None and change.kind is MeetingChangeKind.created
    assert change.key == f"{USER}:evt-1"
    record = change.record
    assert isinstance(record, MeetingContext)
    assert (record.title, record.start, record.end, record.time_zone) == (event.title, event.start, event.end, BERLIN)
    assert record.attendees == tuple(event.attendees) and record.organizer == event.organizer
    assert (record.version_marker, record.provider_updated_at, record.occurred_at) == ("ck-1", T0 + MINUTE, T0 + MINUTE)
    assert change.previous is None


def test_newer_provider_version_replaces_the_context():
    old = _stored(1, T0 + MINUTE)
    change = upsert(old, _v(2), T0 + 2 * MINUTE)
    assert change is not None and change.kind is MeetingChangeKind.updated
    assert change.record.title == "Planning v2" and change.previous == old


def test_redelivered_update_changes_nothing():
    old = _stored(1, T0 + MINUTE)
    assert upsert(old, _v(1), T0 + MINUTE) is None


def test_equal_version_marker_is_a_duplicate_even_when_observed_later():
    old = _stored(1, T0 + MINUTE)
    assert upsert(old, _v(1, title="re-crawled"), T0 + 30 * MINUTE) is None


def test_older_provider_version_arriving_late_changes_nothing():
    newer = _stored(2, T0 + 2 * MINUTE)
    assert upsert(newer, _v(1), T0 + 5 * MINUTE) is None


def test_provider_update_time_outranks_the_time_the_change_was_observed():
    older = _stored(1, T0 + 5 * MINUTE)
    change = upsert(older, _v(2), T0 + 2 * MINUTE)
    assert change is not None and change.record.title == "Planning v2"


def test_without_provider_times_the_later_observation_wins_and_an_earlier_one_is_ignored():
    first = upsert(None, _v(1, updated_at=None, version_marker=None), T0 + 2 * MINUTE)
    assert first is not None
    assert upsert(first.record, _v(2, updated_at=None, version_marker=None), T0 + MINUTE) is None
    later = upsert(first.record, _v(3, updated_at=None, version_marker=None), T0 + 3 * MINUTE)
    assert later is not None and later.record.title == "Planning v3"


def test_same_content_observed_again_without_markers_is_not_a_change():
    first = upsert(None, _v(1, version_marker=None), T0 + MINUTE)
    assert first is not None
    assert upsert(first.record, _v(1, version_marker=None), T0 + 9 * MINUTE) is None


def test_full_tie_with_different_content_is_applied_in_log_order():
    first = upsert(None, _v(1, version_marker=None), T0 + MINUTE)
    assert first is not None
    tie = upsert(first.record, _v(1, version_marker=None, title="renamed"), T0 + MINUTE)
    assert tie is not None and tie.record.title == "renamed"


def test_cancelled_event_is_a_cancellation_that_keeps_the_context():
    live = _stored(1, T0 + MINUTE)
    change = upsert(live, _v(2, status=EventStatus.cancelled), T0 + 2 * MINUTE)
    assert change is not None and change.kind is MeetingChangeKind.cancelled
    assert isinstance(change.record, MeetingContext) and change.record.is_cancelled
    assert change.record.title == "Planning v2"


def test_delete_leaves_a_tombstone_that_remembers_what_it_deleted():
    live = _stored(2, T0 + 2 * MINUTE)
    change = delete(live, "evt-1", T0 + 3 * MINUTE)
    assert change is not None and change.kind is MeetingChangeKind.deleted
    tombstone = change.record
    assert isinstance(tombstone, MeetingTombstone)
    assert (tombstone.deleted_at, tombstone.last_version_marker, tombstone.last_provider_updated_at) == (
        T0 + 3 * MINUTE,
        "ck-2",
        T0 + 2 * MINUTE,
    )


def test_delete_tombstone_beats_an_older_update_arriving_late():
    live = _stored(1, T0 + MINUTE)
    gone = delete(live, "evt-1", T0 + 3 * MINUTE)
    assert gone is not None
    assert upsert(gone.record, _v(2), T0 + 2 * MINUTE) is None


def test_delete_arriving_first_still_blocks_the_late_creation():
    gone = delete(None, "evt-1", T0 + 3 * MINUTE)
    assert gone is not None and isinstance(gone.record, MeetingTombstone)
    assert upsert(gone.record, _v(1), T0 + MINUTE) is None


def test_tombstone_holds_against_the_deleted_version_even_when_republished_later():
    gone = delete(_stored(2, T0 + 2 * MINUTE), "evt-1", T0 + 3 * MINUTE)
    assert gone is not None
    assert upsert(gone.record, _v(2), T0 + 9 * MINUTE) is None
    assert upsert(gone.record, _v(1, version_marker="ck-old"), T0 + 9 * MINUTE) is None


def test_update_newer_than_the_delete_brings_the_meeting_back():
    gone = delete(_stored(1, T0 + MINUTE), "evt-1", T0 + 3 * MINUTE)
    assert gone is not None
    back = upsert(gone.record, _v(4), T0 + 4 * MINUTE)
    assert back is not None and back.kind is MeetingChangeKind.created
    assert isinstance(back.record, MeetingContext) and back.previous == gone.record


def test_delete_older_than_the_stored_state_changes_nothing():
    live = _stored(2, T0 + 5 * MINUTE)
    assert delete(live, "evt-1", T0 + 4 * MINUTE) is None


def test_redelivered_delete_changes_nothing():
    gone = delete(None, "evt-1", T0 + 3 * MINUTE)
    assert gone is not None
    assert delete(gone.record, "evt-1", T0 + 3 * MINUTE) is None


def test_later_delete_moves_the_tombstone_so_a_resurrection_arriving_late_stays_dead():
    first = delete(None, "evt-1", T0 + MINUTE)
    assert first is not None
    second = delete(first.record, "evt-1", T0 + 3 * MINUTE)
    assert second is not None and isinstance(second.record, MeetingTombstone)
    assert second.record.deleted_at == T0 + 3 * MINUTE
    assert upsert(second.record, _v(2), T0 + 2 * MINUTE) is None


@pytest.mark.parametrize(
    ("change_type", "with_event", "event_id", "occurred_at", "reason"),
    [
        (ChangeType.updated, False, "evt-1", T0, "needs the calendar event"),
        (ChangeType.updated, True, "evt-2", T0, "but the event is 'evt-1'"),
        (ChangeType.deleted, True, "evt-1", T0, "a delete carries the event id only"),
        (ChangeType.created, True, "evt-1", T0.replace(tzinfo=None), "timezone-aware"),
    ],
)
def test_contradictory_change_is_refused_as_fatal(change_type, with_event, event_id, occurred_at, reason):
    event = _v(1) if with_event else None
    with pytest.raises(InvalidCalendarChange, match=reason) as caught:
        apply_calendar_change(None, USER, change_type, event, event_id, occurred_at)
    assert caught.value.retriable is False


def test_stored_state_of_another_meeting_is_refused():
    other = upsert(None, meeting("evt-9", START), T0)
    assert other is not None
    with pytest.raises(InvalidCalendarChange, match="user-1:evt-9"):
        upsert(other.record, _v(1), T0)


def test_series_master_with_an_unexpandable_rule_is_refused_before_it_is_stored():
    broken = series("evt-s", START, "RRULE:FREQ=FORTNIGHTLY")
    with pytest.raises(InvalidRecurrence, match="FORTNIGHTLY") as caught:
        upsert(None, broken)
    assert caught.value.event_id == "evt-s"


@pytest.mark.parametrize("kind", ["context", "tombstone"])
def test_table_values_survive_a_json_round_trip(kind):
    live = _stored(1, T0 + MINUTE)
    gone = delete(live, "evt-1", T0 + 2 * MINUTE)
    assert gone is not None
    record = live if kind == "context" else gone.record
    assert load_meeting_record(dump_meeting_record(record)) == record


def test_tombstone_expires_only_after_the_retention():
    gone = delete(None, "evt-1", T0)
    assert gone is not None
    week = dt.timedelta(days=7)
    assert not is_expired_tombstone(gone.record, now=T0 + week - MINUTE, retention=week)
    assert is_expired_tombstone(gone.record, now=T0 + week, retention=week)
    assert not is_expired_tombstone(_stored(1, T0), now=T0 + 10 * week, retention=week)


def test_google_etags_order_two_edits_the_provider_clock_leaves_tied():
    """Same ``updated`` millisecond, numeric etags: the larger etag is the newer edit, however
    the events' own times fall (the one version order, processors/common/versions.py)."""
    newer = _stored(2, T0)
    older = _v(1, updated_at=newer.provider_updated_at, version_marker='"3181161784712000"', title="older")
    newer = newer.model_copy(update={"version_marker": '"3181161784713000"'})
    assert upsert(newer, older, T0 + 5 * MINUTE) is None  # delivered later, still older
    newest = _v(3, updated_at=newer.provider_updated_at, version_marker='"3181161784714000"', title="newest")
    change = upsert(newer, newest, T0 - MINUTE)
    assert change is not None and change.record.title == "newest"


def test_a_live_update_after_a_backfill_page_applies_when_only_the_publishers_sequence_orders_them():
    """A backfill page's time is when it was crawled, a live update's the provider's change time;
    with the provider's time unchanged and opaque markers (Graph change keys), only the events'
    ``metadata.sequence`` orders them (found by the demo's reconciliation: meetings kept v1)."""
    same_time = {"updated_at": T0}
    crawled = apply_calendar_change(None, USER, ChangeType.updated, _v(1, version_marker="ZXZ0OjE", **same_time),
                                    "evt-1", T0 + 60 * MINUTE, sequence=1_000)
    assert crawled is not None
    live = apply_calendar_change(crawled.record, USER, ChangeType.updated, _v(2, version_marker="ZXZ0OjI", **same_time),
                                 "evt-1", T0, sequence=2_000)
    assert live is not None and live.record.title == "Planning v2" and live.record.sequence == 2_000
    # The page redelivered after the update (a replay) does not bring v1 back.
    assert apply_calendar_change(live.record, USER, ChangeType.updated, _v(1, version_marker="ZXZ0OjE", **same_time),
                                 "evt-1", T0 + 60 * MINUTE, sequence=1_000) is None


def test_a_live_delete_after_a_backfill_page_applies_and_holds_against_the_page_by_sequence():
    crawled = apply_calendar_change(None, USER, ChangeType.updated, _v(1), "evt-1", T0 + 60 * MINUTE, sequence=1_000)
    assert crawled is not None
    gone = apply_calendar_change(crawled.record, USER, ChangeType.deleted, None, "evt-1", T0 + 5 * MINUTE, sequence=2_000)
    assert gone is not None and isinstance(gone.record, MeetingTombstone) and gone.record.sequence == 2_000
    again = apply_calendar_change(gone.record, USER, ChangeType.updated, _v(1), "evt-1", T0 + 60 * MINUTE, sequence=1_000)
    assert again is None  # the replayed page is older than the delete
