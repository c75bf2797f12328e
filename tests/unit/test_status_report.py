"""The logic of `officestream status` without Kafka: lag arithmetic, the exit verdict, the table."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from confluent_kafka import ConsumerGroupState

from ops.status.health import ComponentHealth
from ops.status.kafka_view import PartitionLag, _group_lag
from ops.status.report import Section, StatusReport
from ops.status.table import render

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def description(members: int = 0) -> SimpleNamespace:
    return SimpleNamespace(state=ConsumerGroupState.STABLE, members=[object()] * members)


def test_lag_counts_from_the_committed_offset_and_from_the_earliest_where_nothing_was_committed():
    offsets = {("t", 0): (0, 10), ("t", 1): (5, 9)}
    lag = _group_lag("g", description(1), {("t", 0): 4}, {("t", 0), ("t", 1)}, offsets)
    assert lag.topics["t"] == [PartitionLag(0, 4, 10, 6), PartitionLag(1, None, 9, 4)]
    assert lag.topic_lag("t") == 10 and (lag.state, lag.members) == ("STABLE", 1)


def test_a_partition_of_a_deleted_topic_is_left_out_of_the_lag():
    lag = _group_lag("g", description(), {("gone", 0): 3, ("t", 0): 1}, set(), {("t", 0): (0, 2)})
    assert list(lag.topics) == ["t"]


def health(name: str, healthy: bool, *, required: bool = True) -> ComponentHealth:
    return ComponentHealth(name=name, address="x", healthy=healthy, detail="", required=required)


def test_status_is_ok_only_with_every_required_component_up_and_every_section_read():
    sections = {"topics": Section()}
    assert StatusReport([health("kafka", True), health("vespa", False, required=False)], sections).ok
    assert not StatusReport([health("kafka", False)], sections).ok
    assert not StatusReport([health("kafka", True)], {"topics": Section(error="boom")}).ok


def test_the_table_shows_an_expired_watch_and_a_down_component():
    integration = {"provider": "google", "user_id": "u@example.com", "status": "live",
                   "next_expiry": (NOW - dt.timedelta(hours=1)).isoformat(),
                   "watches": [{"kind": "gmail-watch", "resource": "mail", "expires_at": (NOW - dt.timedelta(hours=1)).isoformat()}]}
    sections = {name: Section() for name in ("topics", "groups", "backfills", "subjects")}
    sections["integrations"] = Section(items=[integration])
    text = render(StatusReport([health("registry", False)], sections), now=NOW)
    assert "  registry  DOWN" in text
    assert "EXPIRED" in text.split("integrations (1)")[1]
    assert text.splitlines()[-1].startswith("status: NOT OK")
