"""The schema registry down at the system's start-up and in the middle of a run (the worker's
own outage test, a fresh worker that must reach the registry, is
``tests/e2e/test_registry_outage.py``; the CLI's one-line error, ``tests/e2e/test_schemas_cli.py``).

At start-up nothing can work without it (the schemas are registered first): the demo stops
with one line naming the registry, exits non-zero and leaves nothing running. Mid-run, the
bridge and the workers hold every schema they use in their caches, so events keep flowing
while it is down, and nothing is lost or applied twice once it is back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.faults.workload import assert_nothing_lost_or_doubled
from tests.stack import component_stopped, external_stack_configured
from tests.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(900),
              pytest.mark.skipif(external_stack_configured(), reason="stops the registry process: the local stack only")]


def test_the_registry_down_at_start_up_stops_the_system_with_one_clear_line(stack, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_") or k.startswith("OFFICESTREAM_STACK_")}
    with component_stopped("registry"):
        done = subprocess.run([sys.executable, "-m", "ops.cli", "demo", "--users", "2", "--duration", "5"],
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert "schemas-register failed" in error and "schema registry unreachable" in error, error
    stopped = done.stderr.strip().splitlines()[-1]
    assert stopped.startswith("stopped: ") and "emulator" in stopped, done.stderr  # nothing left running


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
