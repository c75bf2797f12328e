"""The ledger's tombstones expire like the meetings ones: per user, on that user's next message."""

from __future__ import annotations

import json

from processors.common.idempotence import VersionLedger
from processors.common.items import ItemChange
from processors.common.ledger_tombstones import LedgerTombstones
from schemas.models import DocType

DAY_MS = 86_400_000


def change(doc_id: str, *, user: str = "u:1", event: str, at: int = 100, delete: bool = False) -> ItemChange:
    return ItemChange(
        user_id=user, doc_type=DocType.email, doc_id=doc_id, change="delete" if delete else "upsert", record=None,  # type: ignore[arg-type]
        occurred_at_ms=at, event_id=event, version_marker=None if delete else f"v-{event}",
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000_000

    def __call__(self) -> int:
        return self.now


def ledger_with(table: dict, clock: Clock, retention_days: float = 30) -> VersionLedger:
    return VersionLedger(table, now_ms=clock, tombstones=LedgerTombstones(retention_ms=int(retention_days * DAY_MS)))


def test_a_tombstone_is_dropped_once_kept_for_the_retention_and_not_before():
    table: dict[str, bytes] = {}
    clock = Clock()
    ledger = ledger_with(table, clock)
    ledger.record(change("m1", event="e1"))
    ledger.record(change("m1", event="e2", at=200, delete=True))
    clock.now += 30 * DAY_MS - 1
    assert ledger.drop_expired("u:1") == 0 and "u:1:email:m1" in table
    clock.now += 1
    assert ledger.drop_expired("u:1") == 1
    assert "u:1:email:m1" not in table


def test_only_the_users_own_tombstones_are_dropped():
    table: dict[str, bytes] = {}
    clock = Clock()
    ledger = ledger_with(table, clock)
    ledger.record(change("m1", user="u:1", event="e1", delete=True))
    ledger.record(change("m1", user="u:2", event="e2", delete=True))
    clock.now += 31 * DAY_MS
    assert ledger.drop_expired("u:1") == 1
    assert list(table) == ["u:2:email:m1"]


def test_an_item_created_again_keeps_its_entry():
    table: dict[str, bytes] = {}
    clock = Clock()
    ledger = ledger_with(table, clock)
    ledger.record(change("m1", event="e1", delete=True))
    ledger.record(change("m1", event="e2", at=300))
    clock.now += 31 * DAY_MS
    assert ledger.drop_expired("u:1") == 0
    assert json.loads(table["u:1:email:m1"])["deleted"] is False


def test_tombstones_already_in_the_table_are_found_after_a_restart_or_a_rebalance():
    table: dict[str, bytes] = {}
    clock = Clock()
    ledger_with(table, clock).record(change("m1", event="e1", delete=True))
    table["legacy:email:m9"] = b'{"occurred_at_ms":1,"event_id":"x","version_marker":null,"deleted":true}'
    clock.now += 31 * DAY_MS
    restarted = ledger_with(table, clock)  # an empty index, read from the table on first use
    assert restarted.drop_expired("u:1") == 1
    assert list(table) == ["legacy:email:m9"]  # names no user: left alone
    ledger = ledger_with(table, clock)
    ledger.record(change("m2", event="e3", delete=True))
    ledger.partitions_changed()
    clock.now += 31 * DAY_MS
    assert ledger.drop_expired("u:1") == 1


def test_a_failing_sweep_never_costs_the_message():
    class Broken(dict):
        def items(self):
            raise RuntimeError("store closed")

    clock = Clock()
    ledger = ledger_with(Broken(), clock)
    assert ledger.drop_expired("u:1") == 0


def test_without_tombstones_nothing_is_swept():
    ledger = VersionLedger({})
    ledger.record(change("m1", event="e1", delete=True))
    assert ledger.drop_expired("u:1") == 0
