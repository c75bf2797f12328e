"""The one version order (processors/common/versions.py), rung by rung."""

from __future__ import annotations

import pytest

from processors.common.versions import Version, compare_updates, is_newer, marker_number

HOUR = 3_600_000


def v(event: str, at: int, *, changed: int | None = None, marker: str | None = None, seq: int | None = None,
      deleted: bool = False) -> Version:
    return Version(event_id=event, occurred_at_ms=at, changed_at_ms=changed, marker=marker, sequence=seq, deleted=deleted)


def test_a_live_change_beats_a_backfill_page_crawled_later_that_holds_an_older_version():
    # Crawled at 10:00 (the event's time), the item had last changed at 09:00; the live change
    # was made at 09:59 and published after the backfill page.
    backfill = v("backfill", 10 * HOUR, changed=9 * HOUR, marker="ck-1")
    live = v("live", 10 * HOUR - 60_000, changed=10 * HOUR - 60_000, marker="ck-2")
    assert is_newer(live, backfill)
    assert not is_newer(backfill, live)


def test_equal_markers_are_one_version_whatever_the_event_times_say():
    assert not is_newer(v("live", 200, marker="ck-1"), v("backfill", 100, marker="ck-1"))


@pytest.mark.parametrize(("older", "newer"), [("99", "100"), ('"3181161784712000"', '"3181161784713000"'), ('W/"7"', 'W/"12"')])
def test_numeric_markers_order_versions_the_event_times_leave_the_other_way(older, newer):
    # Gmail historyIds: a resync read the newer one first (earlier event time).
    assert not is_newer(v("late", 500, marker=older), v("early", 100, marker=newer))
    assert is_newer(v("late", 100, marker=newer), v("early", 500, marker=older))


def test_opaque_markers_tied_on_provider_time_are_ordered_by_the_producer_sequence():
    first = v("e1", 100, changed=100, marker="AAA", seq=10)
    second = v("e2", 100, changed=100, marker="BBB", seq=11)
    assert is_newer(second, first)
    assert not is_newer(first, second)  # a replay of the older event after the newer one


def test_without_any_distinguishing_clock_the_incoming_version_applies():
    assert compare_updates(v("e1", 100, marker="AAA"), v("e2", 100, marker="BBB")) is None
    assert is_newer(v("e2", 100, marker="BBB"), v("e1", 100, marker="AAA"))


def test_the_same_event_redelivered_never_applies():
    assert not is_newer(v("e1", 100, marker="AAA"), v("e1", 100, marker="AAA"))
    assert not is_newer(v("e1", 100, deleted=True), v("e1", 100, deleted=True))


def test_a_delete_wins_against_what_changed_before_it_and_ties():
    stored = v("e1", 5 * HOUR, changed=1 * HOUR, marker="ck")
    assert is_newer(v("d", 1 * HOUR, deleted=True), stored)  # deleted when it was last changed: delete wins
    assert not is_newer(v("d", 1 * HOUR - 1, deleted=True), stored)


def test_an_update_needs_to_be_strictly_newer_than_a_delete_to_bring_the_item_back():
    tombstone = v("d", 2 * HOUR, deleted=True)
    assert not is_newer(v("late", 9 * HOUR, changed=1 * HOUR, marker="ck"), tombstone)  # crawled late, changed before
    assert not is_newer(v("tie", 2 * HOUR, marker="ck"), tombstone)
    assert is_newer(v("again", 1 * HOUR, changed=3 * HOUR, marker="ck2"), tombstone)


def test_a_later_delete_advances_a_tombstone_and_an_equal_one_does_not():
    tombstone = v("d1", 100, deleted=True)
    assert is_newer(v("d2", 101, deleted=True), tombstone)
    assert not is_newer(v("d2", 100, deleted=True), tombstone)


def test_marker_numbers():
    assert marker_number('"42"') == 42
    assert marker_number("W/\"42\"") == 42
    assert marker_number("CQAAABYAAAD") is None
    assert marker_number("%EgUBAi43PRoEAQIFByIMcW") is None
    assert marker_number("") is None
