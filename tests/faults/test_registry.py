"""The schema registry down at the system's start-up and in the middle of a run (the worker's
own outage test, a fresh worker that must reach the registry, is
``tests/e2e/test_registry_outage.py``; the CLI's one-line error, ``tests/e2e/test_schemas_cli.py``).

At start-up nothing can work without it (the schemas are registered first): the demo stops
with one line naming the registry (``officestream demo`` prints it and exits 1) before it
starts the bridge or a worker. Mid-run, the
bridge and the workers hold every schema they use in their caches, so events keep flowing
while it is down, and nothing is lost or applied twice once it is back."""

from __future__ import annotations

import pytest

from ops.demo.processes import DemoFailed
from tests.faults.workload import assert_nothing_lost_or_doubled
from tests.http_fakes import free_port
from tests.stack import component_stopped, external_stack_configured
from tests.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(900),
              pytest.mark.skipif(external_stack_configured(), reason="stops the registry process: the local stack only")]


def test_the_registry_down_at_start_up_stops_the_system_with_one_clear_line(make_fault_run):
    # A registry nothing answers at (the demo would start the stack's own if it were down).
    run = make_fault_run(env={"OFFICESTREAM_REGISTRY_URL": f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"})
    with pytest.raises(DemoFailed) as failed:
        run.start()
    message = str(failed.value)
    assert "\n" not in message and message.startswith("schemas-register failed with 1"), message
    assert "schema registry unreachable" in message, message
    assert "bridge" not in run.demo.children.started  # nothing started on a system that cannot work


def test_the_registry_down_mid_run_keeps_events_flowing_and_loses_nothing(make_fault_run):
    run = make_fault_run().start()
    run.connect()
    run.wait_backfills()
    run.live(rounds=1)
    with component_stopped("registry"):
        run.demo.say("FAULT: registry stopped")
        delivered = run.demo.sse.total()
        run.live(rounds=2)
        # The bridge published and the workers read these changes with the schemas they cached.
        wait_for(lambda: run.demo.sse.total() > delivered, timeout_s=120, what="notifications while the registry is down")
    run.demo.say("registry started again")
    run.live(rounds=1)
    assert_nothing_lost_or_doubled(run.finish(fault="the registry down mid-run"))
