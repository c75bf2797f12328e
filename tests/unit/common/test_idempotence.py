"""The ledger applies each item version once: redeliveries and older versions change nothing."""

from __future__ import annotations

import pytest

from processors.common.idempotence import VersionLedger
from processors.common.items import ItemChange
from schemas.models import DocType


def item(*, at: int, event: str, change: str = "upsert", marker: str | None = "v1") -> ItemChange:
    return ItemChange(
        user_id="u1", doc_type=DocType.email, doc_id="m1", change=change, record=None,  # type: ignore[arg-type]
        occurred_at_ms=at, event_id=event, version_marker=marker if change == "upsert" else None,
    )


@pytest.fixture
def ledger():
    return VersionLedger({})


def apply(ledger: VersionLedger, change: ItemChange) -> bool:
    if ledger.should_apply(change):
        ledger.record(change)
        return True
    return False


def test_first_version_is_applied_and_keyed_by_user_type_and_id(ledger):
    first = item(at=100, event="e1")
    assert apply(ledger, first)
    assert first.key == "u1:email:m1"


def test_redelivered_event_changes_nothing(ledger):
    apply(ledger, item(at=100, event="e1"))
    assert not apply(ledger, item(at=100, event="e1"))


def test_older_version_arriving_late_changes_nothing(ledger):
    apply(ledger, item(at=200, event="e2", marker="v2"))
    assert not apply(ledger, item(at=100, event="e1", marker="v1"))
    assert apply(ledger, item(at=300, event="e3", marker="v3"))


def test_same_version_from_another_event_is_a_duplicate(ledger):
    # e.g. the backfill and the streaming bridge both saw changeKey v1 at the same time
    apply(ledger, item(at=100, event="e1", marker="v1"))
    assert not apply(ledger, item(at=100, event="e2", marker="v1"))
    assert apply(ledger, item(at=100, event="e3", marker="v2"))


def test_delete_is_a_tombstone_that_beats_older_updates(ledger):
    apply(ledger, item(at=100, event="e1"))
    assert apply(ledger, item(at=200, event="e2", change="delete"))
    assert not apply(ledger, item(at=150, event="e3", marker="v1.5"))
    assert not apply(ledger, item(at=200, event="e4", marker="v2"))
    assert apply(ledger, item(at=300, event="e5", marker="v3"))  # re-created later


def test_a_deletion_found_again_later_has_no_second_effect_but_moves_the_tombstone_on(ledger):
    # The bridge killed after publishing a deletion and before storing its cursor publishes it
    # again as a new, later event: the item is gone already, so nothing is applied twice ...
    apply(ledger, item(at=100, event="e1"))
    assert apply(ledger, item(at=200, event="e2", change="delete"))
    assert not apply(ledger, item(at=300, event="e3", change="delete"))
    assert not ledger.holds(item(at=200, event="e2", change="delete"))
    # ... but the tombstone is the later one's: a version between the two deletes stays dead.
    assert ledger.holds(item(at=300, event="e3", change="delete"))
    assert not apply(ledger, item(at=250, event="e4", marker="v2"))
    assert not apply(ledger, item(at=250, event="e5", change="delete"))  # an older delete neither
    assert apply(ledger, item(at=400, event="e6", marker="v3"))


def test_delete_at_the_same_time_as_an_update_wins(ledger):
    apply(ledger, item(at=100, event="e1"))
    assert apply(ledger, item(at=100, event="e2", change="delete"))


def test_a_delete_leaves_a_tombstone_naming_its_user_and_when_it_was_stored():
    import json

    table: dict[str, bytes] = {}
    ledger = VersionLedger(table, now_ms=lambda: 1_800_000_000_000)
    ledger.record(item(at=100, event="e1", change="delete"))
    entry = json.loads(table["u1:email:m1"])
    assert (entry["deleted"], entry["user_id"], entry["stored_at_ms"]) == (True, "u1", 1_800_000_000_000)


def test_entries_written_before_the_provider_clock_was_recorded_are_still_understood():
    import json

    table = {"u1:email:m1": json.dumps({"occurred_at_ms": 100, "event_id": "e1", "version_marker": "v1", "deleted": False})}
    ledger = VersionLedger(table)
    assert not ledger.should_apply(item(at=100, event="e1"))
    assert ledger.should_apply(item(at=200, event="e2", marker="v2"))


def test_the_provider_change_time_outranks_the_event_time():
    import dataclasses

    ledger = VersionLedger({})
    crawled = dataclasses.replace(item(at=10_000, event="backfill", marker="v1"), changed_at_ms=1_000)
    live = dataclasses.replace(item(at=9_000, event="live", marker="v2"), changed_at_ms=9_000)
    apply(ledger, crawled)
    assert apply(ledger, live)
    assert not apply(ledger, crawled)  # the backfill page redelivered after the live change


def test_the_ledger_tells_a_redelivery_of_the_applied_event_from_other_duplicates(ledger):
    assert not ledger.holds(item(at=100, event="e1"))  # nothing stored yet
    apply(ledger, item(at=100, event="e1"))
    assert ledger.holds(item(at=100, event="e1"))  # a redelivery or a replay: re-announced
    assert not ledger.holds(item(at=100, event="e2"))  # the same version by another event
    assert not ledger.holds(item(at=50, event="e0"))  # an older version
    apply(ledger, item(at=200, event="e3", marker="v3"))
    assert not ledger.holds(item(at=100, event="e1"))  # superseded


def test_the_ledger_reads_entries_stored_as_bytes_or_decoded_json():
    first = item(at=100, event="e1")
    for table in ({}, {first.key: {"occurred_at_ms": 100, "event_id": "e1", "version_marker": "v1", "deleted": False}}):
        ledger = VersionLedger(table)
        if not table:
            ledger.record(first)
        assert ledger.holds(first)
