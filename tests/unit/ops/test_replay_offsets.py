"""Where `officestream replay` moves each partition, and how it reads its command line."""

from __future__ import annotations

import pytest

from connectors.kafka.settings import KafkaSettings
from ops.replay.exceptions import InvalidReplayRequest
from ops.replay.offsets import (
    PartitionBounds,
    ResetTarget,
    chosen_partitions,
    parse_target,
    resolve_group,
    resolve_topic,
    target_offset,
)

BOUNDS = PartitionBounds(low=10, high=50, committed=40, at_time=25)


def test_exactly_one_target_is_accepted():
    assert parse_target(to_earliest=True) == ResetTarget("earliest")
    assert parse_target(to_offset=7) == ResetTarget("offset", 7)
    assert parse_target(shift_by=-5) == ResetTarget("shift", -5)
    with pytest.raises(InvalidReplayRequest, match="got none"):
        parse_target()
    with pytest.raises(InvalidReplayRequest, match="--to-offset, --to-earliest"):
        parse_target(to_offset=3, to_earliest=True)


def test_a_datetime_is_read_with_its_zone_and_refused_without_one():
    assert parse_target(to_datetime="2026-12-04T10:00:00Z").value == 1_796_378_400_000
    assert parse_target(to_datetime="2026-12-04T11:00:00+01:00").value == 1_796_378_400_000
    with pytest.raises(InvalidReplayRequest, match="needs a time zone"):
        parse_target(to_datetime="2026-12-04T10:00:00")
    with pytest.raises(InvalidReplayRequest, match="ISO 8601"):
        parse_target(to_datetime="yesterday")


def test_a_negative_offset_is_refused():
    with pytest.raises(InvalidReplayRequest, match="0 or more"):
        parse_target(to_offset=-1)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (ResetTarget("earliest"), (10, "")),
        (ResetTarget("offset", 30), (30, "")),
        (ResetTarget("offset", 3), (10, "3 is before the first offset kept: 10")),
        (ResetTarget("offset", 99), (50, "99 is past the end: 50")),
        (ResetTarget("shift", -15), (25, "")),
        (ResetTarget("shift", -100), (10, "-60 is before the first offset kept: 10")),
        (ResetTarget("shift", 20), (50, "60 is past the end: 50")),
        (ResetTarget("datetime", 1), (25, "")),
    ],
)
def test_each_target_lands_inside_the_partition(target, expected):
    assert target_offset(target, BOUNDS) == expected


def test_a_time_after_every_record_means_the_end():
    assert target_offset(ResetTarget("datetime", 1), PartitionBounds(10, 50, 40, at_time=-1)) == (
        50, "no record at or after that time: the end",
    )


def test_a_shift_leaves_a_partition_without_a_committed_offset_alone():
    assert target_offset(ResetTarget("shift", -3), PartitionBounds(0, 9, None)) == (None, "no committed offset to shift: unchanged")
    assert target_offset(ResetTarget("earliest"), PartitionBounds(0, 9, None)) == (0, "")


def test_service_names_and_catalogue_topics_get_the_prefix_other_names_do_not():
    kafka = KafkaSettings.from_env({}, topic_prefix="staging-")
    assert resolve_group("shipments", kafka) == "staging-shipments"
    assert resolve_group("staging-shipments-side", kafka) == "staging-shipments-side"
    assert resolve_topic("email-updates", kafka) == "staging-email-updates"
    assert resolve_topic("staging-email-updates", kafka) == "staging-email-updates"


def test_a_partition_the_topic_lacks_is_refused():
    assert chosen_partitions([2, 0, 1], None, "t") == [0, 1, 2]
    assert chosen_partitions([0, 1, 2], 1, "t") == [1]
    with pytest.raises(InvalidReplayRequest, match="t has no partition 5 \\(it has 0..2\\)"):
        chosen_partitions([0, 1, 2], 5, "t")
