"""Where a replay moves each partition: the operator's target, parsed, and applied to one
partition's committed offset and bounds. Pure: no Kafka here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import CONSUMER_GROUPS, TOPICS
from ops.replay.exceptions import InvalidReplayRequest

TargetKind = Literal["datetime", "offset", "earliest", "shift"]


@dataclass(frozen=True)
class ResetTarget:
    """What the operator asked: a time (epoch ms), an offset, the earliest, or a shift."""

    kind: TargetKind
    value: int = 0

    def describe(self) -> str:
        if self.kind == "datetime":
            return f"to {dt.datetime.fromtimestamp(self.value / 1000, dt.UTC).isoformat()}"
        return {"offset": f"to offset {self.value}", "earliest": "to the earliest", "shift": f"shifted by {self.value}"}[self.kind]


def parse_target(
    *, to_datetime: str | None = None, to_offset: int | None = None, to_earliest: bool = False, shift_by: int | None = None
) -> ResetTarget:
    """Exactly one of the four; a datetime must say its time zone (``Z`` or ``+01:00``)."""
    given = [name for name, value in (("--to-datetime", to_datetime), ("--to-offset", to_offset),
                                      ("--to-earliest", to_earliest or None), ("--shift-by", shift_by)) if value is not None]
    if len(given) != 1:
        raise InvalidReplayRequest(
            f"give exactly one of --to-datetime, --to-offset, --to-earliest, --shift-by (got {', '.join(given) or 'none'})"
        )
    if to_datetime is not None:
        return ResetTarget("datetime", _epoch_ms(to_datetime))
    if to_offset is not None:
        if to_offset < 0:
            raise InvalidReplayRequest(f"--to-offset must be 0 or more, got {to_offset}")
        return ResetTarget("offset", to_offset)
    if shift_by is not None:
        return ResetTarget("shift", shift_by)
    return ResetTarget("earliest")


def _epoch_ms(text: str) -> int:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidReplayRequest(f"--to-datetime must be ISO 8601 (e.g. 2026-12-04T10:00:00Z), got {text!r}") from None
    if moment.tzinfo is None:
        raise InvalidReplayRequest(f"--to-datetime needs a time zone (e.g. {text}Z or {text}+01:00), got {text!r}")
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class PartitionBounds:
    """One partition as the brokers see it: first and end offset, the group's committed
    offset (None: none committed), and the first offset at the target time (-1: none)."""

    low: int
    high: int
    committed: int | None = None
    at_time: int = -1


def target_offset(target: ResetTarget, bounds: PartitionBounds) -> tuple[int | None, str]:
    """The partition's new committed offset (None: left as it is) and a note on why, when
    the answer is not simply the one asked for."""
    low, high = bounds.low, bounds.high
    if target.kind == "earliest":
        return low, ""
    if target.kind == "datetime":
        if bounds.at_time < 0:
            return high, "no record at or after that time: the end"
        return bounds.at_time, ""
    if target.kind == "offset":
        return _clamped(target.value, low, high)
    if bounds.committed is None:
        return None, "no committed offset to shift: unchanged"
    return _clamped(bounds.committed + target.value, low, high)


def _clamped(offset: int, low: int, high: int) -> tuple[int, str]:
    if offset < low:
        return low, f"{offset} is before the first offset kept: {low}"
    if offset > high:
        return high, f"{offset} is past the end: {high}"
    return offset, ""


def resolve_group(name: str, kafka: KafkaSettings) -> str:
    """A service's name (``shipments``) means its group, ``kafka.group(service)`` (the topic
    prefix applied); any other name is a group id, taken as it is."""
    return kafka.group(name) if name in CONSUMER_GROUPS else name


def resolve_topic(name: str, kafka: KafkaSettings) -> str:
    """A catalogue topic's canonical name means its physical name (prefix applied); any other
    name is a physical topic name, taken as it is."""
    return kafka.topic(name) if name in {spec.name for spec in TOPICS} else name


def chosen_partitions(available: Iterable[int], wanted: int | None, topic: str) -> list[int]:
    """All of ``topic``'s partitions, or only ``wanted`` (which it must have)."""
    available = sorted(available)
    if wanted is None:
        return available
    if wanted not in available:
        raise InvalidReplayRequest(f"{topic} has no partition {wanted} (it has {available[0]}..{available[-1]})")
    return [wanted]
