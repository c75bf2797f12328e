"""``kill -9`` of each faust worker mid-batch (while it applies the users' backfills), the
backfills and a round of live changes going on while it is down, then its restart: once the
system settles, every sink holds every provider item at its version, and no effect was applied
twice (``effects.py`` says how each is counted)."""

from __future__ import annotations

import pytest

from connectors.kafka.topics import MEETINGS, SHIPMENTS
from ops.demo.summary import demo_kafka
from processors.meetings.state import MEETINGS_TABLE
from tests.e2e.worker_faults import high_watermark
from tests.faults.workload import FaultRun, assert_nothing_lost_or_doubled
from tests.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(900)]

#: A killed member stays in its group for the session timeout (default 60 s): the restarted
#: worker would wait that long for its partitions.
QUICK_TAKEOVER = {"OFFICESTREAM_PROCESSOR_SESSION_TIMEOUT_S": "10"}
#: Notifications the SSE clients have before the notifier is killed (of about 240 in a run).
MID_STREAM_NOTIFICATIONS = 60


def effects_so_far(run: FaultRun, worker: str) -> int:
    """How much of its work ``worker`` has done: the records it wrote to its state, the feed
    file's lines, or the notifications the SSE clients were delivered."""
    if worker == "notifier":
        return run.demo.sse.total()
    if worker == "vespa-loader":
        feed = run.demo.feed_file
        return len(feed.read_bytes().splitlines()) if feed.exists() else 0
    kafka = demo_kafka(run.demo)
    changelog = {MEETINGS: f"{MEETINGS_TABLE}-changelog", SHIPMENTS: "applied-changelog"}[worker]
    return high_watermark(kafka, f"{kafka.group(worker)}-{changelog}")


@pytest.mark.parametrize("worker", ["vespa-loader", "meetings", "shipments", "notifier"])
def test_a_worker_killed_mid_batch_and_restarted_loses_and_doubles_nothing(make_fault_run, worker):
    run = make_fault_run(env=QUICK_TAKEOVER).start()
    run.connect()
    # The notifier mid-stream: its clients hold resume tokens, and it has committed offsets past
    # some of them (a restart resumes them by position, from what it reads back).
    started = MID_STREAM_NOTIFICATIONS if worker == "notifier" else 0
    wait_for(lambda: effects_so_far(run, worker) > started, timeout_s=180, what=f"{worker} applying the backfill")
    run.kill(worker)
    before_restart = effects_so_far(run, worker)
    run.live(rounds=1)  # changes pile up for it while it is down
    run.restart(worker)
    run.wait_backfills()
    run.live(rounds=2)
    counts = run.finish(fault=f"kill -9 {worker} mid-batch")
    assert effects_so_far(run, worker) > before_restart  # the restarted worker did the rest
    assert_nothing_lost_or_doubled(counts)
    if worker == "notifier":  # resumed by position (resume tokens): no client had to be told to resync
        assert (sum(run.demo.sse.resyncs.values()), [c.resynced for c in counts if c.sink == "notifier"]) == (0, [0])
