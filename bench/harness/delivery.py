"""Exactly-once-per-tab accounting for the notifier scale benchmark.

Every measured event was sent for one user; each of that user's tabs must receive its frame once.
Per tab: *missing* = the user's events that never arrived, *duplicate* = arrivals beyond the
first of one event, *misrouted* = frames of another user's event (or whose ``user_id`` is not the
tab's user). Latency counts each tab's first arrival of each of its own events.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from harness.sse_fleet import Tab, TabLog

#: How many problem tabs the report names (the counts cover all of them).
LISTED_PROBLEM_TABS = 20


@dataclass
class Delivery:
    missing: int = 0
    duplicate: int = 0
    misrouted: int = 0
    frames_expected: int = 0
    frames_received: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    #: ``(email id, latency ms)`` of each first arrival, to place the slow ones in time.
    arrivals: list[tuple[str, float]] = field(default_factory=list)
    missing_by_instance: Counter[int] = field(default_factory=Counter)
    problem_tabs: list[dict[str, Any]] = field(default_factory=list)
    ended_early: int = 0

    @property
    def exact(self) -> bool:
        return self.missing == self.duplicate == self.misrouted == 0


def account(tabs: list[Tab], user_of: dict[str, str], logs: dict[int, TabLog], instance_of: dict[int, int]) -> Delivery:
    """Compare what each tab received with what its user was sent (``user_of``: email id -> user)."""
    sent_to: defaultdict[str, set[str]] = defaultdict(set)
    for email_id, user in user_of.items():
        sent_to[user].add(email_id)
    result = Delivery()
    for tab in tabs:
        log = logs.get(tab.tab) or TabLog(ended="no record from its client process")
        mine, seen, misrouted = sent_to[tab.user], Counter[str](), 0
        for email_id, frame_user, latency_ms in log.frames:
            if user_of.get(email_id) != tab.user or frame_user != tab.user:
                misrouted += 1
                continue
            seen[email_id] += 1
            if seen[email_id] == 1:
                result.latencies_ms.append(latency_ms)
                result.arrivals.append((email_id, latency_ms))
        missing, duplicate = len(mine - seen.keys()), sum(n - 1 for n in seen.values())
        result.frames_expected += len(mine)
        result.frames_received += len(log.frames)
        result.missing += missing
        result.duplicate += duplicate
        result.misrouted += misrouted
        result.missing_by_instance[instance_of[tab.tab]] += missing
        result.ended_early += log.ended is not None
        if (missing or duplicate or misrouted or log.ended) and len(result.problem_tabs) < LISTED_PROBLEM_TABS:
            result.problem_tabs.append({"tab": tab.tab, "user": tab.user, "instance": instance_of[tab.tab],
                                        "expected": len(mine), "missing": missing, "duplicate": duplicate,
                                        "misrouted": misrouted, "stream_ended": log.ended})
    return result


def late_by_second(arrivals: list[tuple[str, float]], sent_ns: dict[str, int], started_ns: int,
                   over_ms: float) -> dict[str, int]:
    """Frames later than ``over_ms``, counted by the second of sending their event was sent in:
    bunched in a few seconds, they were pauses; spread over all, steady queueing."""
    late: Counter[int] = Counter()
    for email_id, latency_ms in arrivals:
        if latency_ms > over_ms and email_id in sent_ns:
            late[(sent_ns[email_id] - started_ns) // 1_000_000_000] += 1
    return {str(second): count for second, count in sorted(late.items())}
