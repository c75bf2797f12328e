"""`officestream demo` as the README runs it (`make demo` minus the install): the whole system
on the test stack and the emulator, a short live phase, a clean reconciliation, and nothing
it started left running."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.timeout(900)
def test_the_demo_streams_backfill_and_live_changes_into_every_sink_and_stops_what_it_started(stack, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_") or k.startswith("OFFICESTREAM_STACK_")}
    summary_file = tmp_path / "summary.json"
    done = subprocess.run(
        [sys.executable, "-m", "ops.cli", "demo", "--users", "2", "--emails-per-user", "20", "--duration", "25",
         "--advance-every", "4", "--settle-timeout", "150", "--summary-json", str(summary_file)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=840,
    )
    assert done.returncode == 0, done.stderr[-4000:] + done.stdout
    summary = json.loads(summary_file.read_text())
    assert summary["clean"] and summary["reconciliation"]["missing"] == 0, summary["reconciliation"]
    assert summary["reconciliation"]["extra"] == 0 and summary["reconciliation"]["stale"] == 0
    published = summary["published"]
    # The backfill and the live side both fed the pipeline; every sink had work.
    assert all(published[kind]["backfill"] > 0 for kind in ("emails", "calendar_events", "contacts")), published
    assert sum(published[kind]["updates"] for kind in published) > 0, published
    assert summary["live_rounds"] >= 3 and summary["vespa"]["documents"] > 0 and summary["meetings"] > 0
    assert sum(summary["notifications_delivered"].values()) > 0
    assert set(summary["processes"]) >= {"emulator", "bridge", "vespa-loader", "meetings", "shipments", "notifier"}
    assert not [name for name, pid in summary["processes"].items() if _alive(pid)]
    assert "reconciliation               clean" in done.stdout
    # The stack the tests run on was already up: the demo left it alone.
    assert not {"kafka", "registry", "redis"} & set(summary["processes"])
