"""Partition coverage: an instance that shares its consumer group reads only some users' events."""

from __future__ import annotations

import logging

import pytest

from processors.notifier.assignment import AssignmentWatch, coverage

TOPICS = {"p-email-updates": 6, "p-shipment-updates": 6}


def every(topic: str, count: int = 6) -> list[tuple[str, int]]:
    return [(topic, p) for p in range(count)]


def test_every_partition_of_every_source_topic_is_complete() -> None:
    found = coverage(every("p-email-updates") + every("p-shipment-updates"), TOPICS)
    assert (found.complete, found.assigned, found.expected, found.missing) == (True, 12, 12, ())


def test_half_the_partitions_is_incomplete_and_names_the_missing_ones() -> None:
    # What Kafka gives each of two members of one group: a split of the partitions.
    found = coverage([("p-email-updates", p) for p in (0, 1, 2)] + every("p-shipment-updates"), TOPICS)
    assert (found.complete, found.assigned, found.expected) == (False, 9, 12)
    assert found.missing == ("p-email-updates[3]", "p-email-updates[4]", "p-email-updates[5]")


def test_a_topic_whose_partition_count_is_unknown_is_not_judged_and_other_topics_are_ignored() -> None:
    found = coverage(every("p-email-updates") + [("p-client-sse-dlq", 0)], {"p-email-updates": 6, "p-meeting-updates": None})
    assert (found.complete, found.assigned, found.expected) == (True, 6, 6)


def test_an_incomplete_assignment_is_logged_as_an_error_naming_the_shared_instance_id(caplog: pytest.LogCaptureFixture) -> None:
    watch = AssignmentWatch(instance_id="web-1", group="client-sse.web-1")
    assert watch.current is None
    with caplog.at_level(logging.INFO, logger="processors.notifier.assignment"):
        watch.update(every("p-email-updates", 3), {"p-email-updates": 6})
        watch.update(every("p-email-updates"), {"p-email-updates": 6})
    error, info = caplog.records
    assert error.levelno == logging.ERROR
    assert "only 3 of 6 partitions" in error.getMessage() and "instance_id=web-1" in error.getMessage()
    assert "p-email-updates[3],p-email-updates[4],p-email-updates[5]" in error.getMessage()
    assert info.levelno == logging.INFO
    assert watch.current is not None and watch.current.complete
