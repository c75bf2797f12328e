"""Where a notifier instance starts reading: fixed once, the first time it ever starts.

Each instance is its own consumer group, starting at the end of the topics (notifications are
live). Left to ``auto.offset.reset=latest``, "the end" is wherever the topics end whenever the
group has no committed offset yet: an instance killed before its first commit restarted at the
end again and its clients never heard of what was produced while it was down (one fault run
lost 119 of 241 notifications). So before faust's consumer joins, every source partition
without a committed offset in the group gets its current end committed: "latest" is then the
end as of the instance's first start, and a restart resumes from there or from a later commit.

Then the instance reads ``reread_records`` records before those offsets again (``read_back``;
faust commits only past its committed offsets): a restarted or newly started instance fills its
replay buffers with what came just before, so a client resuming with a cursor a little behind
the committed offsets (the last commit came after its last notification) is still resumed
exactly (``buffer.py``, ``positions.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from connectors.kafka.consumer_groups import EARLIEST, LATEST, ConsumerGroups
from connectors.kafka.exceptions import ConsumerGroupError

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]


def unstarted(committed: Mapping[TopicPartition, int], ends: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
    """The partitions of ``ends`` without a committed offset, each with its end offset."""
    return {tp: end for tp, end in ends.items() if tp not in committed}


def pin_start_positions(groups: ConsumerGroups, group: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    """Commit the end of every partition of ``topics`` that ``group`` has no offset for; returns
    every partition's start offset (committed before, or just now).

    A topic that does not exist yet is left to ``latest`` (it has nothing to miss until it is
    created; logged). The coordinator refuses the commit while the group has live members (a
    killed instance still within its session timeout, or another process sharing the
    instance_id): those partitions are left out and logged, and faust reads them from ``latest``.
    """
    ends: dict[TopicPartition, int] = {}
    existing = []
    for topic in topics:
        try:
            partitions = groups.partitions(topic)
        except ConsumerGroupError as exc:
            log.warning("notifier start position not pinned: %s", exc)
            continue
        existing.append(topic)
        ends.update({(topic, p): offset for p, offset in groups.offsets(topic, partitions, LATEST).items()})
    committed = groups.committed(group, existing)
    missing = unstarted(committed, ends)
    try:
        groups.commit(group, missing)
    except ConsumerGroupError as exc:
        log.error("notifier start positions not pinned, %d partitions start at latest: %s", len(missing), exc)
        return dict(committed)
    for (topic, partition), offset in sorted(missing.items()):
        log.info("notifier start position pinned group=%s %s[%d]@%d", group, topic, partition, offset)
    return {**committed, **missing}


def read_back(groups: ConsumerGroups, starts: Mapping[TopicPartition, int], records: int) -> dict[TopicPartition, int]:
    """Where to read each partition from: ``records`` before its start, never before its first
    kept record (below it the consumer would reset to ``latest`` and skip everything)."""
    if records == 0 or not starts:
        return dict(starts)
    firsts: dict[TopicPartition, int] = {}
    for topic in sorted({topic for topic, _ in starts}):
        partitions = [partition for name, partition in starts if name == topic]
        firsts.update({(topic, p): offset for p, offset in groups.offsets(topic, partitions, EARLIEST).items()})
    return {tp: max(firsts.get(tp, start), start - records) for tp, start in starts.items()}
