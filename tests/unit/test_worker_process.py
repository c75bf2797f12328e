"""The worker runner the tests and benchmarks share (ops/worker_process.py), on stand-in commands."""

from __future__ import annotations

import functools
import sys

import pytest

from ops.worker_process import READY_LINE, WorkerHung, WorkerNotReady, WorkerProcess


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


IGNORES_SIGTERM = f"import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print({READY_LINE!r}, 'stuck in shutdown', flush=True); time.sleep(60)"


def test_a_worker_that_hangs_on_sigterm_is_killed_and_reported_with_its_log(tmp_path):
    worker = WorkerProcess("x", {}, tmp_path / "w.log", argv=command(IGNORES_SIGTERM))
    worker.spawn().wait_ready(10)
    with pytest.raises(WorkerHung, match=r"(?s)still running 0.5s after SIGTERM: killed.*stuck in shutdown"):
        worker.stop(timeout_s=0.5)
    assert worker.process is not None and worker.process.returncode == -9


def test_a_hang_on_leaving_the_block_fails_it(tmp_path):
    worker = WorkerProcess("x", {}, tmp_path / "w.log", argv=command(IGNORES_SIGTERM))
    worker.stop = functools.partial(worker.stop, timeout_s=0.5)  # type: ignore[method-assign]
    with pytest.raises(WorkerHung):
        with worker.spawn():
            worker.wait_ready(10)


def test_a_hang_while_a_test_already_fails_keeps_that_failure_and_notes_the_hang(tmp_path):
    worker = WorkerProcess("x", {}, tmp_path / "w.log", argv=command(IGNORES_SIGTERM))
    worker.stop = functools.partial(worker.stop, timeout_s=0.5)  # type: ignore[method-assign]
    with pytest.raises(AssertionError, match="the real failure") as raised:
        with worker.spawn():
            worker.wait_ready(10)
            raise AssertionError("the real failure")
    assert any("still running" in note for note in raised.value.__notes__)
    assert worker.process is not None and worker.process.returncode == -9


def test_a_worker_that_stops_on_sigterm_is_not_a_hang(tmp_path):
    worker = WorkerProcess("x", {}, tmp_path / "w.log", argv=command(f"import time; print({READY_LINE!r}, flush=True); time.sleep(60)"))
    worker.spawn().wait_ready(10)
    worker.stop(timeout_s=10)
    assert worker.process is not None and worker.process.returncode == -15
