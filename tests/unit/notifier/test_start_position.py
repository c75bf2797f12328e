"""Pinning a notifier instance's start position (``start_position.py``), against a fake admin."""

from __future__ import annotations

from connectors.kafka.exceptions import ConsumerGroupError
from processors.notifier.start_position import pin_start_positions, read_back, unstarted


class FakeGroups:
    """The ``ConsumerGroups`` calls ``pin_start_positions`` makes, over in-memory offsets."""

    def __init__(self, ends: dict[str, list[int]], committed: dict[tuple[str, int], int], *, refuse: bool = False) -> None:
        self.ends, self.stored, self.refuse = ends, dict(committed), refuse
        self.firsts = {topic: [0] * len(offsets) for topic, offsets in ends.items()}
        self.commits: list[dict[tuple[str, int], int]] = []

    def partitions(self, topic: str) -> list[int]:
        if topic not in self.ends:
            raise ConsumerGroupError(f"topic {topic} does not exist")
        return list(range(len(self.ends[topic])))

    def offsets(self, topic: str, partitions, spec) -> dict[int, int]:
        offsets = self.ends[topic] if spec == "latest" else self.firsts[topic]
        return {p: offsets[p] for p in partitions}

    def committed(self, group: str, topics) -> dict[tuple[str, int], int]:
        return {tp: o for tp, o in self.stored.items() if tp[0] in topics}

    def commit(self, group: str, offsets) -> None:
        if self.refuse and offsets:
            raise ConsumerGroupError(f"group {group}: the group has members")
        self.commits.append(dict(offsets))
        self.stored.update(offsets)


def test_only_partitions_without_a_committed_offset_get_their_end():
    assert unstarted({("t", 0): 3}, {("t", 0): 9, ("t", 1): 4}) == {("t", 1): 4}


def test_the_first_start_commits_every_end_and_a_restart_commits_nothing():
    groups = FakeGroups({"a": [5, 0], "b": [7]}, {})
    assert pin_start_positions(groups, "client-sse.x", ["a", "b"]) == {("a", 0): 5, ("a", 1): 0, ("b", 0): 7}
    groups.ends = {"a": [9, 3], "b": [8]}  # produced while the instance was down
    assert pin_start_positions(groups, "client-sse.x", ["a", "b"]) == {("a", 0): 5, ("a", 1): 0, ("b", 0): 7}
    assert groups.commits == [{("a", 0): 5, ("a", 1): 0, ("b", 0): 7}, {}]


def test_a_missing_topic_is_skipped_and_the_others_pinned():
    groups = FakeGroups({"a": [2]}, {})
    assert pin_start_positions(groups, "g", ["a", "missing"]) == {("a", 0): 2}


def test_a_refused_commit_leaves_those_partitions_to_latest(caplog):
    groups = FakeGroups({"a": [2, 6]}, {("a", 0): 1}, refuse=True)
    assert pin_start_positions(groups, "g", ["a"]) == {("a", 0): 1}
    assert "1 partitions start at latest" in caplog.text


def test_reading_back_stops_at_each_partitions_first_kept_record():
    groups = FakeGroups({"a": [900, 40], "b": [5000]}, {})
    groups.firsts = {"a": [0, 30], "b": [100]}
    starts = {("a", 0): 900, ("a", 1): 40, ("b", 0): 5000}
    assert read_back(groups, starts, 1000) == {("a", 0): 0, ("a", 1): 30, ("b", 0): 4000}
    assert read_back(groups, starts, 0) == starts
