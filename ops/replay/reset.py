"""A replay: read the group and its partitions, compute each partition's new offset, and (but
for a dry run) commit them, to the group itself or to a side group.

Kafka lets a group's offsets be moved only while it has no members; the coordinator enforces
that too, but a clear refusal beforehand names the members to stop. A side group (``into``)
starts as a copy of the group's committed offsets on every topic, with the replayed partitions
moved: a worker run under it reprocesses only what was replayed, while the live group is never
written (it may keep running).
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.kafka.consumer_groups import EARLIEST, LATEST, ConsumerGroups
from ops.replay.exceptions import ReplayRefused
from ops.replay.offsets import PartitionBounds, ResetTarget, chosen_partitions, target_offset


@dataclass(frozen=True)
class ReplayRequest:
    group: str
    topics: tuple[str, ...]
    target: ResetTarget
    partition: int | None = None
    dry_run: bool = False
    #: A side group to write instead of ``group`` (which is then only read).
    into: str | None = None


@dataclass(frozen=True)
class PartitionReset:
    topic: str
    partition: int
    before: int | None
    after: int | None
    bounds: PartitionBounds
    note: str = ""

    def describe(self) -> str:
        before = "-" if self.before is None else str(self.before)
        after = "unchanged" if self.after is None else str(self.after)
        note = f"  ({self.note})" if self.note else ""
        return f"{self.topic}[{self.partition}]  {before} -> {after}  of {self.bounds.low}..{self.bounds.high}{note}"


def replay(groups: ConsumerGroups, request: ReplayRequest) -> list[PartitionReset]:
    """Plan the replay and, unless it is a dry run, commit it; refuses (``ReplayRefused``)
    while the group to be written has members, or when a side group already has offsets."""
    written = request.into or request.group
    _refuse_members(groups, written)
    if request.into is not None:
        _refuse_existing_side_group(groups, request.into, request.group)
    committed = groups.committed(request.group)
    plan = [reset for topic in request.topics for reset in _plan_topic(groups, request, topic, committed)]
    if not request.dry_run:
        moved = {(r.topic, r.partition): r.after for r in plan if r.after is not None}
        groups.commit(written, {**committed, **moved} if request.into is not None else moved)
    return plan


def _refuse_members(groups: ConsumerGroups, group: str) -> None:
    found = groups.members(group)
    if found.members:
        raise ReplayRefused(
            f"group {group} has {len(found.members)} live member(s) ({', '.join(found.members)}; state {found.state}): "
            "stop its workers first, or replay into a side group with --into NEW_GROUP"
        )


def _refuse_existing_side_group(groups: ConsumerGroups, side: str, group: str) -> None:
    if side == group:
        raise ReplayRefused(f"--into names the group itself ({group}); leave --into out to move its offsets")
    if groups.committed(side):
        raise ReplayRefused(
            f"side group {side} already has committed offsets; pick a new name, or move its offsets with --group {side}"
        )


def _plan_topic(
    groups: ConsumerGroups, request: ReplayRequest, topic: str, committed: dict[tuple[str, int], int]
) -> list[PartitionReset]:
    partitions = chosen_partitions(groups.partitions(topic), request.partition, topic)
    lows = groups.offsets(topic, partitions, EARLIEST)
    highs = groups.offsets(topic, partitions, LATEST)
    at_time = groups.offsets(topic, partitions, request.target.value) if request.target.kind == "datetime" else {}
    plan = []
    for partition in partitions:
        before = committed.get((topic, partition))
        bounds = PartitionBounds(lows[partition], highs[partition], before, at_time.get(partition, -1))
        after, note = target_offset(request.target, bounds)
        plan.append(PartitionReset(topic, partition, before, after, bounds, note))
    return plan
