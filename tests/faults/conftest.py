"""The fault suite's fixtures: fault runs of the whole system (``workload.py``), stopped after
their test whatever happened, their topics and subjects deleted with the session's test topics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import _TOKENS
from tests.faults.workload import FaultRun
from tests.stack import StackEndpoints


@pytest.fixture
def make_fault_run(stack: StackEndpoints, tmp_path: Path) -> Iterator[Callable[..., FaultRun]]:
    """``make_fault_run(env=..., **FaultRun options)``: a fault run, not yet started."""
    runs: list[FaultRun] = []

    def make(**options) -> FaultRun:
        run = FaultRun(tmp_path / f"run{len(runs)}", **options)
        _TOKENS.add(run.demo.run_id)  # its topics and subjects carry the run id
        runs.append(run)
        return run

    yield make
    for run in runs:
        run.stop()
        print(f"\nfault run {run.demo.run_id}: logs in {run.demo.dir / 'logs'}\n{run.log_tail(12)}")


@pytest.fixture
def fault_run(make_fault_run: Callable[..., FaultRun]) -> FaultRun:
    return make_fault_run()
