"""The worker runner the tests and benchmarks share (ops/worker_process.py), on stand-in commands."""

from __future__ import annotations

import sys

import pytest

from ops.worker_process import READY_LINE, WorkerNotReady, WorkerProcess


def command(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_ready_is_the_faust_ready_line_logged_since_this_spawn(tmp_path):
    log = tmp_path / "w.log"
    log.write_text(f"{READY_LINE} (an earlier run)\n")
    worker = WorkerProcess("x", {}, log, argv=command(f"import time; time.sleep(0.3); print({READY_LINE!r}, flush=True); time.sleep(30)"),
                           append=True)
    with worker.spawn():
        assert worker.wait_ready(10) >= 0.3  # the earlier run's line did not count
    assert worker.process is not None and worker.process.returncode is not None  # stopped on leaving the block


def test_a_worker_that_exits_before_ready_is_reported_with_its_log(tmp_path):
    worker = WorkerProcess("x", {}, tmp_path / "w.log", argv=command("print('bad setting: OFFICESTREAM_X'); raise SystemExit(3)"))
    worker.spawn()
    with pytest.raises(WorkerNotReady, match=r"(?s)exited with 3.*bad setting: OFFICESTREAM_X"):
        worker.wait_ready(10)


def test_a_worker_that_never_gets_ready_times_out_and_can_be_killed(tmp_path):
    worker = WorkerProcess("x", {}, tmp_path / "w.log", argv=command("import time; time.sleep(30)"))
    worker.spawn()
    with pytest.raises(WorkerNotReady, match="not ready after 0s"):
        worker.wait_ready(0.2)
    worker.kill()
    assert worker.process is not None and worker.process.returncode == -9
