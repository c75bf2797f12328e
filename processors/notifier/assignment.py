"""Whether this instance reads every partition of its source topics.

A client may connect to any notifier instance, so each instance must read every user's events:
each is the only member of its own consumer group, ``client-sse.<instance_id>``. Two instances
that share an ``instance_id`` (two processes on one host with the default, the host name; or one
fixed name in a replicated deployment) share one group instead, Kafka splits the partitions
between them, and each silently misses the events of the users on the other's partitions: the
scale benchmark lost about half the frames that way. The assignment says so at once; it is
logged as an error and ``/healthz`` answers 503 until the instance reads every partition again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: How many missing partitions the log line and ``/healthz`` name (the counts cover all).
LISTED_MISSING = 12


@dataclass(frozen=True, slots=True)
class Coverage:
    """Assigned partitions against all partitions of the source topics whose count is known."""

    assigned: int
    expected: int
    missing: tuple[str, ...]  # ``topic[partition]``, the first ``LISTED_MISSING``

    @property
    def complete(self) -> bool:
        return not self.missing

    def as_json(self) -> dict[str, object]:
        return {"assigned": self.assigned, "expected": self.expected, "complete": self.complete, "missing": list(self.missing)}


def coverage(assigned: Iterable[tuple[str, int]], partitions: Mapping[str, int | None]) -> Coverage:
    """How ``assigned`` (topic, partition) pairs cover ``partitions`` (topic -> partition count;
    ``None`` for a topic whose count the consumer does not know yet, which is not judged)."""
    mine = {(topic, partition) for topic, partition in assigned if topic in partitions}
    wanted = {(topic, p) for topic, count in partitions.items() if count for p in range(count)}
    missing = sorted(wanted - mine)
    return Coverage(
        assigned=len(mine), expected=len(wanted),
        missing=tuple(f"{topic}[{partition}]" for topic, partition in missing[:LISTED_MISSING]),
    )


class AssignmentWatch:
    """The latest ``Coverage`` of this instance (``None`` before its first assignment)."""

    def __init__(self, *, instance_id: str, group: str) -> None:
        self.instance_id, self.group = instance_id, group
        self.current: Coverage | None = None

    def update(self, assigned: Iterable[tuple[str, int]], partitions: Mapping[str, int | None]) -> Coverage:
        """Record a new assignment; an incomplete one is logged as an error naming the cause."""
        self.current = found = coverage(assigned, partitions)
        if found.complete:
            log.info("notifier reads every partition of its topics group=%s partitions=%d", self.group, found.assigned)
        else:
            log.error(
                "notifier reads only %d of %d partitions group=%s missing=%s: another instance shares "
                "instance_id=%s (hence this consumer group), so clients connected here miss the events of users "
                "on the other partitions; give every instance its own OFFICESTREAM_NOTIFIER_INSTANCE_ID",
                found.assigned, found.expected, self.group, ",".join(found.missing), self.instance_id,
            )
        return found
