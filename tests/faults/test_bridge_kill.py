"""``kill -9`` of the bridge (the process that runs the backfills and the live sync) mid-backfill
and mid-stream, then its restart on the same port and state: the interrupted backfills resume
from their checkpoints, the changes made while it was down are synced once it is back, and no
effect is applied twice although pages and changes are published again."""

from __future__ import annotations

import pytest

from tests.faults.workload import assert_nothing_lost_or_doubled
from tests.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(900)]

#: The killed bridge's jobs are resumed this long after their last update (default 120 s).
#: The restarted bridge takes the killed one's job back 5 s after its last update, once the dead
#: runner's lease on it lapsed (3 s after the kill; 30 s by default).
RESUMED_AFTER = {"OFFICESTREAM_BRIDGE_BACKFILL_STALE_AFTER_S": "5", "OFFICESTREAM_BACKFILL_LEASE_TTL_S": "3"}


def test_the_bridge_killed_mid_backfill_resumes_it_and_loses_and_doubles_nothing(make_fault_run):
    run = make_fault_run(env=RESUMED_AFTER, emails_per_user=150).start()
    run.connect()
    wait_for(lambda: run.backfilled_items() > 0, timeout_s=120, what="the backfills under way")
    run.kill("bridge")
    run.restart("bridge")
    statuses = wait_for(run.backfills, timeout_s=30, what="the restarted bridge answering")
    assert not all(s["status"] == "completed" for s in statuses.values()), "killed after the backfills: too late"
    run.wait_backfills()
    run.live(rounds=2)
    assert_nothing_lost_or_doubled(run.finish(fault="kill -9 bridge mid-backfill"))


def test_the_bridge_killed_mid_stream_syncs_what_changed_while_it_was_down(make_fault_run):
    run = make_fault_run(env=RESUMED_AFTER).start()
    run.connect()
    run.wait_backfills()
    run.live(rounds=1)
    run.kill("bridge")
    run.live(rounds=2)  # the providers' notifications of these find no bridge
    run.restart("bridge")
    run.live(rounds=1)
    assert_nothing_lost_or_doubled(run.finish(fault="kill -9 bridge mid-stream"))
